// Copyright 2026 the iox authors. MIT license.
// submit() of Executor and Strand: one function queues `fn` through the
// given post and ties a promise to its outcome.

import { internals } from "./_internals.ts";
import type { Executor, SubmitOptions } from "./executor.ts";
import {
  isThenable,
  notAFunction,
  notAnAbortSignal,
  optionsObject,
} from "../_util/validate.ts";

/**
 * Queues `fn` with `post` and returns the promise of its outcome (bad
 * arguments reject it, as an already aborted signal does). Its throw
 * or rejection settles only that promise: the queued handler never throws,
 * and the promise it returns for an async `fn` never rejects (so that it
 * still counts as work, and holds a strand until it settles).
 *
 * @param executor The executor whose runs run the handler.
 * @param post Queues the handler (the executor's or a strand's post).
 * @param fn The function to run.
 * @param options The signal.
 * @param what The start of error messages, e.g. "submit handler".
 */
export function submit<T>(
  executor: Executor,
  post: (handler: () => unknown) => void,
  fn: () => T | PromiseLike<T>,
  options: SubmitOptions | undefined,
  what: string,
): Promise<T> {
  let signal: AbortSignal | undefined;
  try {
    if (typeof fn !== "function") {
      throw notAFunction(`Cannot ${what} as it`, fn);
    }
    signal = optionsObject(options, what).signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw notAnAbortSignal(`Cannot ${what} as 'signal'`, signal);
    }
  } catch (error) {
    return Promise.reject(error);
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  let queued: (() => T | PromiseLike<T>) | undefined = fn;
  const onAbort = (): void => {
    // Drop the function now, so the queue keeps only this small handler.
    queued = undefined;
    reject(signal!.reason);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  post(() => {
    const run = queued;
    if (run === undefined) {
      // Dropped: not counted as a handler that ran.
      internals.dropped(executor);
      return undefined;
    }
    queued = undefined;
    signal?.removeEventListener("abort", onAbort);
    let result: T | PromiseLike<T>;
    try {
      result = run();
    } catch (error) {
      reject(error);
      return undefined;
    }
    if (!isThenable(result)) {
      resolve(result);
      return undefined;
    }
    return Promise.resolve(result).then(resolve, reject);
  });
  return promise;
}
