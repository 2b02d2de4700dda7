// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode SteadyTimer}: asio's `steady_timer`, on the monotonic
 * `performance.now()` clock.
 *
 * Guarantees:
 * - **Exactly once**: every `asyncWait` handler is posted to the executor
 *   exactly once: with no argument when the timer expired, or with a
 *   `DOMException` named "AbortError" when the wait was cancelled
 *   (`cancel`, `cancelOne`, `expiresAfter`, `expiresAt`).
 * - **Not early**: when a wait completes without error, `performance.now()`
 *   has reached `expiry`.
 * - **Ordering**: waits on one timer complete in the order they were made.
 * - **Work**: a pending `asyncWait` counts as outstanding work of the
 *   executor, so `run()` waits for it.
 * - **Pending until run**: as in asio, an `asyncWait` stays pending until a
 *   run of the executor takes its handler: once the timer expired (whether
 *   before or after `asyncWait` was called, and whether or not the executor
 *   was running then) its handler is queued, but until it runs, `cancel`,
 *   `cancelOne`, `expiresAfter` and `expiresAt` still count the wait and
 *   hand the handler the "AbortError".
 * - **Shared runtime timer**: as in asio, the timers of one executor share
 *   one queue ordered by expiry and one `setTimeout`, armed for the earliest
 *   pending expiry. Timers that expire together complete in one go, in
 *   expiry order (equal expiries in the order their first pending wait was
 *   made). The `setTimeout` is armed only while a wait is pending and
 *   cleared when the last one is cancelled, so an idle executor keeps no
 *   timer armed and does not keep the process alive.
 *
 * @module
 */
import type { Executor } from "./executor.ts";
import { assertExecutor, internals } from "./_internals.ts";
import { type TimerEntry, TimerQueue } from "./_timer_queue.ts";
import {
  assertFiniteNumber,
  notAFunction,
  notAnAbortSignal,
} from "../_util/validate.ts";

// A pending wait: completes it with an error (cancelled) or without.
type Waiter = (error?: DOMException) => void;

// One timer queue per executor, made with its first timer.
const queues = new WeakMap<Executor, TimerQueue>();

// A timer's expiry and pending waits, in the order they were made: the
// oldest, then the others in a Set (which keeps their order and removes an
// aborted wait in O(1)), made only for a second wait since most timers have
// one at a time. While a wait is pending, and only then, `first` is set and
// the timer is in the executor's timer queue. `due` holds the asyncWaits
// whose timer expired: their handlers are queued on the executor, and they
// stay pending (see "Pending until run" above) until it runs them. Only
// one of the two kinds is pending at a time: a wait joins the heap kind only
// while `first` is set, and the expiry moves them all to `due`.
class TimerState implements TimerEntry {
  expiry: number;
  index = -1;
  order = 0;
  first: Waiter | undefined = undefined;
  rest: Set<Waiter> | undefined = undefined;
  due: Set<Waiter> | undefined = undefined;

  constructor(expiry: number) {
    this.expiry = expiry;
  }

  expire(): void {
    const { first, rest } = this;
    this.first = this.rest = undefined;
    first!();
    if (rest !== undefined) { for (const waiter of rest) waiter(); }
  }
}

function cancelledError(): DOMException {
  return new DOMException("The timer wait was cancelled", "AbortError");
}

/**
 * A timer whose waits complete on an {@linkcode Executor}.
 *
 * @example Usage
 * ```ts
 * import { Executor, SteadyTimer } from "@iox/iox/executor";
 * import assert from "node:assert/strict";
 *
 * const io = new Executor();
 * const timer = new SteadyTimer(io, 5);
 * let outcome: string | undefined;
 * timer.asyncWait((error) => { outcome = error?.name ?? "expired"; });
 * assert.equal(await io.run(), 1); // run() waited for the timer
 * assert.equal(outcome, "expired");
 * assert.ok(performance.now() >= timer.expiry);
 * ```
 */
export class SteadyTimer {
  #executor: Executor;
  #queue: TimerQueue;
  #state: TimerState;

  /**
   * Makes a timer on `executor`.
   *
   * @param executor The executor that runs the `asyncWait` handlers.
   * @param expiryMs Expire that many milliseconds from now. Without it the
   * timer is already expired: waits complete at once.
   * @throws {TypeError} If `executor` is not an {@linkcode Executor}, or
   * `expiryMs` is given and is not a number.
   * @throws {RangeError} If `expiryMs` is negative, NaN or infinite.
   */
  constructor(executor: Executor, expiryMs?: number) {
    assertExecutor(executor, "Cannot create timer as 'executor'");
    if (expiryMs !== undefined) {
      assertFiniteNumber(expiryMs, "Cannot create timer as 'expiryMs'", 0);
    }
    this.#executor = executor;
    let queue = queues.get(executor);
    if (queue === undefined) queues.set(executor, queue = new TimerQueue());
    this.#queue = queue;
    this.#state = new TimerState(performance.now() + (expiryMs ?? 0));
  }

  /**
   * When the timer expires, on the `performance.now()` clock.
   *
   * @example Usage
   * ```ts
   * import { Executor, SteadyTimer } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const timer = new SteadyTimer(new Executor());
   * timer.expiresAt(1234);
   * assert.equal(timer.expiry, 1234);
   * ```
   *
   * @returns The expiry time in milliseconds.
   */
  get expiry(): number {
    return this.#state.expiry;
  }

  /**
   * Sets the expiry to `ms` milliseconds from now, cancelling every pending
   * wait first.
   *
   * @example Usage
   * ```ts
   * import { Executor, SteadyTimer } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const timer = new SteadyTimer(io, 60_000);
   * const errors: (Error | undefined)[] = [];
   * timer.asyncWait((error) => errors.push(error));
   * assert.equal(timer.expiresAfter(1), 1); // one wait cancelled
   * timer.asyncWait((error) => errors.push(error));
   * await io.run();
   * assert.equal(errors[0]?.name, "AbortError");
   * assert.equal(errors[1], undefined);
   * ```
   *
   * @param ms How long from now, in milliseconds.
   * @returns How many waits were cancelled.
   * @throws {TypeError} If `ms` is not a number.
   * @throws {RangeError} If `ms` is negative, NaN or infinite; nothing
   * changes.
   */
  expiresAfter(ms: number): number {
    assertFiniteNumber(ms, "Cannot set timer expiry as 'ms'", 0);
    const cancelled = this.cancel();
    this.#state.expiry = performance.now() + ms;
    return cancelled;
  }

  /**
   * Sets the expiry to a time on the `performance.now()` clock, cancelling
   * every pending wait first. A time in the past makes the timer expired.
   *
   * @example Usage
   * ```ts
   * import { Executor, SteadyTimer } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const timer = new SteadyTimer(new Executor());
   * assert.equal(timer.expiresAt(performance.now() + 10), 0);
   * ```
   *
   * @param timeMs The expiry time in milliseconds.
   * @returns How many waits were cancelled.
   * @throws {TypeError} If `timeMs` is not a number.
   * @throws {RangeError} If `timeMs` is NaN or infinite; nothing changes.
   */
  expiresAt(timeMs: number): number {
    assertFiniteNumber(timeMs, "Cannot set timer expiry as 'timeMs'");
    const cancelled = this.cancel();
    this.#state.expiry = timeMs;
    return cancelled;
  }

  /**
   * Starts a wait: `handler` is posted to the executor exactly once, when
   * the timer expires (no argument) or when the wait is cancelled (a
   * `DOMException` named "AbortError"). Until then the wait counts as
   * outstanding work of the executor. On an expired timer the handler is
   * posted at once; either way the wait stays pending until a run takes it
   * (the module's "Pending until run" rule).
   *
   * @example Usage
   * ```ts
   * import { Executor, SteadyTimer } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const timer = new SteadyTimer(io, 60_000);
   * let error: Error | undefined;
   * timer.asyncWait((e) => { error = e; });
   * io.post(() => timer.cancel());
   * await io.run();
   * assert.ok(error instanceof DOMException);
   * assert.equal(error.name, "AbortError");
   * ```
   *
   * @param handler Called on the executor with the error, if any.
   * @throws {TypeError} If `handler` is not a function; no wait starts.
   */
  asyncWait(handler: (error?: Error) => unknown): void {
    if (typeof handler !== "function") {
      throw notAFunction("Cannot wait on timer as 'handler'", handler);
    }
    const executor = this.#executor;
    const state = this.#state;
    if (state.first === undefined && performance.now() >= state.expiry) {
      this.#queueDue(handler);
      return;
    }
    internals.workStarted(executor);
    this.#add((error) => {
      // Queue before ending the work, so a run never sees "no work" between.
      if (error) executor.post(() => handler(error));
      else this.#queueDue(handler);
      internals.workFinished(executor);
    });
  }

  // The wait's timer expired: its handler is queued, and the wait stays
  // pending (a cancel gives the handler the "AbortError") until it runs.
  #queueDue(handler: (error?: Error) => unknown): void {
    const due = this.#state.due ??= new Set();
    let error: DOMException | undefined;
    const waiter: Waiter = (cancelled) => {
      error = cancelled;
    };
    due.add(waiter);
    this.#executor.post(() => {
      due.delete(waiter);
      return error ? handler(error) : handler();
    });
  }

  /**
   * Waits for the timer without the executor: the promise settles from the
   * runtime timer of the executor's timer queue, whether or not the executor
   * runs. A pending `wait` is cancelled like an `asyncWait` but is not work
   * of the executor.
   *
   * @example Usage
   * ```ts
   * import { Executor, SteadyTimer } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const timer = new SteadyTimer(new Executor(), 2);
   * await timer.wait();
   * assert.ok(performance.now() >= timer.expiry);
   *
   * timer.expiresAfter(60_000);
   * const waiting = timer.wait(AbortSignal.timeout(1));
   * await assert.rejects(waiting, { name: "TimeoutError" });
   * ```
   *
   * @param signal Aborts this wait only, rejecting with `signal.reason`.
   * @returns A promise that resolves when the timer expires.
   * @throws {DOMException} Rejects with an "AbortError" when the wait is
   * cancelled, or with `signal.reason` when `signal` aborts.
   * @throws {TypeError} Rejects if `signal` is given and is not an
   * `AbortSignal`.
   */
  wait(signal?: AbortSignal): Promise<void> {
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      return Promise.reject(
        notAnAbortSignal("Cannot wait on timer as 'signal'", signal),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (performance.now() >= this.#state.expiry) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (this.#remove(waiter)) reject(signal!.reason);
      };
      const waiter: Waiter = (error) => {
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve();
      };
      this.#add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Cancels every pending wait: each gets an "AbortError".
   *
   * @example Usage
   * ```ts
   * import { Executor, SteadyTimer } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const timer = new SteadyTimer(new Executor(), 60_000);
   * const a = timer.wait();
   * const b = timer.wait();
   * assert.equal(timer.cancel(), 2);
   * await assert.rejects(a, { name: "AbortError" });
   * await assert.rejects(b, { name: "AbortError" });
   * assert.equal(timer.cancel(), 0);
   * ```
   *
   * @returns How many waits were cancelled.
   */
  cancel(): number {
    const state = this.#state;
    const { first, rest, due } = state;
    let cancelled = 0;
    if (due !== undefined && due.size !== 0) {
      for (const waiter of due) waiter(cancelledError());
      cancelled = due.size;
      due.clear();
    }
    if (first === undefined) return cancelled;
    state.first = state.rest = undefined;
    this.#queue.remove(state);
    first(cancelledError());
    if (rest === undefined) return cancelled + 1;
    for (const waiter of rest) waiter(cancelledError());
    return cancelled + 1 + rest.size;
  }

  /**
   * Cancels the oldest pending wait, which gets an "AbortError".
   *
   * @example Usage
   * ```ts
   * import { Executor, SteadyTimer } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const timer = new SteadyTimer(new Executor(), 60_000);
   * const first = timer.wait();
   * const second = timer.wait();
   * assert.equal(timer.cancelOne(), 1);
   * await assert.rejects(first, { name: "AbortError" });
   * assert.equal(timer.cancelOne(), 1);
   * await assert.rejects(second, { name: "AbortError" });
   * assert.equal(timer.cancelOne(), 0);
   * ```
   *
   * @returns 1 if a wait was cancelled, 0 if none was pending.
   */
  cancelOne(): number {
    const { first, due } = this.#state;
    if (due !== undefined && due.size !== 0) {
      const oldest = due.values().next().value!;
      due.delete(oldest);
      oldest(cancelledError());
      return 1;
    }
    if (first === undefined) return 0;
    this.#removeFirst();
    first(cancelledError());
    return 1;
  }

  #add(waiter: Waiter): void {
    const state = this.#state;
    if (state.first === undefined) {
      state.first = waiter;
      this.#queue.insert(state);
    } else {
      (state.rest ??= new Set()).add(waiter);
    }
  }

  // Removes a pending wait, if it still is one.
  #remove(waiter: Waiter): boolean {
    const state = this.#state;
    if (waiter === state.first) {
      this.#removeFirst();
      return true;
    }
    return state.rest?.delete(waiter) ?? false;
  }

  // The next wait becomes the oldest; the timer leaves the queue when its
  // last wait goes.
  #removeFirst(): void {
    const state = this.#state;
    const next = state.rest?.values().next();
    if (next === undefined || next.done) {
      state.first = state.rest = undefined;
      this.#queue.remove(state);
    } else {
      state.first = next.value;
      state.rest!.delete(next.value);
    }
  }
}
