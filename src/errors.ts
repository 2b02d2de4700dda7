// Copyright 2026 the iox authors. MIT license.
/**
 * The error classes that callers of {@linkcode ThreadPool} catch by type.
 *
 * Aborts and timeouts are not represented here: they are `DOMException`s
 * named `"AbortError"` and `"TimeoutError"`, exactly as `AbortSignal`
 * produces them, so one `catch` handles iox and the platform alike.
 *
 * @module
 */

/**
 * Options for the iox error classes.
 */
export interface IoxErrorOptions {
  /**
   * What caused this error: the worker's error event, the task's own error.
   *
   * @default {undefined}
   */
  cause?: unknown;
}

/**
 * Thrown (as a rejection) by a pool's `run` after `close()` or `terminate()`,
 * and given to every task that `terminate()` left unsettled.
 *
 * @example Usage
 * ```ts
 * import { PoolClosedError } from "@iox/iox";
 * import assert from "node:assert/strict";
 *
 * const error = new PoolClosedError("Cannot run task 'hash' as the pool is closed");
 * assert.equal(error.name, "PoolClosedError");
 * assert.ok(error instanceof Error);
 * ```
 */
export class PoolClosedError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message What could not be done and why.
   * @param options The `cause`, if any.
   */
  constructor(
    message = "Cannot run task as the pool is closed",
    options?: IoxErrorOptions,
  ) {
    super(message, options);
    this.name = "PoolClosedError";
  }
}

/**
 * The rejection of every task that was running in a worker when that worker
 * died: an uncaught error outside a task, the worker closing itself, or the
 * pool replacing it after an abort or timeout. `cause` holds what is known of
 * the death (the worker's error event, for example).
 *
 * @example Usage
 * ```ts
 * import { WorkerCrashedError } from "@iox/iox";
 * import assert from "node:assert/strict";
 *
 * const cause = new Error("out of memory");
 * const error = new WorkerCrashedError("Worker 1 crashed while running 'hash'", { cause });
 * assert.equal(error.name, "WorkerCrashedError");
 * assert.equal(error.cause, cause);
 * ```
 */
export class WorkerCrashedError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message Which worker died and what it was running.
   * @param options The `cause`: what is known of the worker's death.
   */
  constructor(
    message = "Worker crashed while running a task",
    options?: IoxErrorOptions,
  ) {
    super(message, options);
    this.name = "WorkerCrashedError";
  }
}
