// Copyright 2026 the iox authors. MIT license.
// Executor: the handler queue and its run loop. Guarantees: ../executor.ts.

import { internals } from "./_internals.ts";
import {
  type Block,
  BLOCK_LENGTH,
  BlockList,
  emptyBlock,
} from "./_queue_blocks.ts";
import {
  argumentError,
  assertFiniteNumber,
  isThenable,
  notAFunction,
  notAString,
  optionsObject,
} from "../_util/validate.ts";
import { submit } from "./_submit.ts";
import { MAX_CLOCK_INTERVAL, nextClockInterval, SLICE_MS } from "./_slice.ts";
import { yieldToEventLoop } from "../_runtime/event_loop.ts";
import { LongTimeout } from "../_util/long_timeout.ts";
import { WorkGuard } from "./work_guard.ts";

// Bits of Executor.#flags. The drain loop tests the whole word once per
// handler, so that stop, defer and a nested drain cost it one check.
const STOPPED = 1; // stop() was called, or a run ran out of work
const DEFERRED = 2; // the running handler deferred handlers
const REENTERED = 4; // a handler ran a nested poll or run of this executor
const BATCHED = 8; // the running handler ran a batch of handlers (a strand)

/** Options for {@linkcode Executor}. */
export interface ExecutorOptions {
  /**
   * A name for this executor, shown by `name`, for logs and debugging.
   *
   * @default {"executor"}
   */
  name?: string;
  /**
   * Where handlers' errors go: with it, a handler that throws, or whose
   * returned promise rejects, has its error passed to `onError` and the run
   * goes on with the next handler. Without it the active run rejects with
   * the error. An error thrown by `onError` itself leaves the run as a
   * handler's error does without `onError`: the run rejects with it.
   * Errors of `submit` functions never come here: they settle the promise
   * `submit` returned.
   *
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
}

/**
 * Options for {@linkcode Executor.prototype.submit} and
 * {@linkcode Strand.prototype.submit}.
 */
export interface SubmitOptions {
  /**
   * Drops the function while it is queued: it never runs, and the promise
   * rejects with the signal's reason. Once the function started, the signal
   * is no longer watched.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * A FIFO queue of handlers with Boost.Asio `io_context` semantics. Handlers
 * are plain functions; one that returns a promise counts as outstanding work
 * until the promise settles, and a rejection is reported like a throw.
 *
 * @example Posting, stopping and restarting
 * ```ts
 * import { Executor } from "@iox/iox/executor";
 * import assert from "node:assert/strict";
 *
 * const io = new Executor({ name: "main" });
 * const seen: number[] = [];
 * io.post(() => { seen.push(1); io.stop(); });
 * io.post(() => seen.push(2));
 * assert.equal(await io.run(), 1); // returned after the handler that stopped it
 * assert.deepEqual(seen, [1]);
 * io.restart();
 * assert.equal(await io.run(), 1); // the queued handler was kept
 * assert.deepEqual(seen, [1, 2]);
 * ```
 */
export class Executor {
  static {
    internals.isExecutor = (value: unknown): value is Executor =>
      typeof value === "object" && value !== null && #front in value;
    internals.workStarted = (executor: Executor): void => {
      executor.#work++;
    };
    internals.workFinished = (executor: Executor): void => {
      executor.#workFinished();
    };
    internals.batchSize = (executor: Executor): number =>
      Math.max(1, executor.#batchEnd - executor.#index + 1);
    internals.ranBatch = (executor: Executor, count: number): void => {
      executor.#batched += count - 1;
      executor.#flags |= BATCHED;
    };
    internals.dropped = (executor: Executor): void => {
      executor.#uncounted++;
    };
  }

  #name: string;
  #onError: ((error: unknown) => void) | undefined;
  // The queue: handlers are written at #back[#backLength] and taken from
  // #front at #index up to #end; full blocks wait in #blocks in between
  // (see _queue_blocks.ts for this layout, and why in these fields).
  #front: Block = emptyBlock();
  #index = 0;
  #end = 0;
  #back: Block = emptyBlock();
  #backLength = 0;
  #blocks = new BlockList();
  #flags = 0;
  // The queue index at which the running #drain must stop for its count:
  // what bounds a batch (batchSize). A batch is not cut short for the next
  // clock reading (a strand's turn runs as _strand_turn.ts says): the clock
  // is read after it.
  #batchEnd = 0;
  // Handlers that batches ran beyond the one handler each was queued as.
  #batched = 0;
  // Outstanding work other than queued handlers.
  #work = 0;
  // How many of this executor's handlers are on the call stack.
  #depth = 0;
  // Handlers deferred from inside a handler, appended when it returns.
  #deferred: (() => unknown)[] = [];
  // Resolves a waiting run when a handler is queued, the last work ends, the
  // executor stops or a deadline passes. Shared by every waiting run.
  #wake: Promise<void> | undefined;
  #resolveWake: (() => void) | undefined;
  // The back block's length at which a post takes the slow way: its size,
  // or 0 while a run waits (so that the next post wakes it).
  #postLimit = BLOCK_LENGTH;
  #workFinishedBound = (): void => this.#workFinished();
  #enqueueBound = (handler: () => unknown): void => this.#enqueue(handler);
  // How many handlers the last #drain ran, kept for when it threw.
  #drained = 0;
  // The index after the handler that threw out of #runChunk.
  #thrownAt = 0;
  // Handlers that ran but are not counted: dropped submits, and the
  // handlers that rethrow an async handler's rejection.
  #uncounted = 0;

  /**
   * Constructs a new executor, not stopped, with an empty queue.
   *
   * @param options The executor's `name` and `onError`.
   * @throws {TypeError} If `options.name` is given and is not a string, or
   * `options.onError` is given and is not a function.
   */
  constructor(options?: ExecutorOptions) {
    const { name = "executor", onError } = optionsObject(
      options,
      "create executor",
    );
    if (typeof name !== "string") {
      throw notAString("Cannot create executor as 'name'", name);
    }
    if (onError !== undefined && typeof onError !== "function") {
      throw notAFunction("Cannot create executor as 'onError'", onError);
    }
    this.#name = name;
    this.#onError = onError;
  }

  /**
   * The name given in the options.
   *
   * @returns The executor's name, `"executor"` by default.
   */
  get name(): string {
    return this.#name;
  }

  /**
   * Whether the executor is stopped: by `stop()`, or by a run that found no
   * outstanding work. Runs return at once while it is; `restart()` clears it.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * assert.equal(io.stopped, false);
   * assert.equal(await io.run(), 0); // no work: stops
   * assert.equal(io.stopped, true);
   * ```
   *
   * @returns True while stopped.
   */
  get stopped(): boolean {
    return (this.#flags & STOPPED) !== 0;
  }

  /**
   * Whether this executor is running a handler right now, on this call stack
   * (the synchronous part of a handler, or of a strand handler on it).
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * let inside = false;
   * io.post(() => { inside = io.runningInThisThread; });
   * await io.run();
   * assert.equal(inside, true);
   * assert.equal(io.runningInThisThread, false);
   * ```
   *
   * @returns True inside one of this executor's handlers.
   */
  get runningInThisThread(): boolean {
    return this.#depth > 0;
  }

  /**
   * Queues a handler at the back. Never runs it inside the call, whoever
   * calls: a handler, a promise callback, a timer, another executor.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * let ran = false;
   * io.post(() => { ran = true; });
   * assert.equal(ran, false);
   * await io.run();
   * assert.equal(ran, true);
   * ```
   *
   * @param handler The function to run. If it returns a promise, that
   * counts as outstanding work until it settles.
   * @throws {TypeError} If `handler` is not a function; nothing is queued.
   */
  post(handler: () => unknown): void {
    if (typeof handler !== "function") {
      throw notAFunction("Cannot post handler as it", handler);
    }
    this.#enqueue(handler);
  }

  /**
   * Queues `fn` like `post` (FIFO with it) and returns the promise of its
   * outcome: asio's `co_spawn` with `use_awaitable`. The promise settles
   * with what `fn` returns, or with the settlement of the promise it
   * returns (which counts as outstanding work until then), or rejects with
   * what it throws. That error goes only to this promise: never to a run
   * or to `onError`.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const sum = io.submit(() => 1 + 2);
   * const failed = io.submit(() => { throw new Error("bad request"); });
   * assert.equal(await io.run(), 2); // the error did not reach run()
   * assert.equal(await sum, 3);
   * await assert.rejects(failed, { message: "bad request" });
   * ```
   *
   * @example Dropping queued work
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const connection = new AbortController();
   * let ran = false;
   * const reply = io.submit(() => { ran = true; }, {
   *   signal: connection.signal,
   * });
   * connection.abort(new Error("connection reset"));
   * await assert.rejects(reply, { message: "connection reset" });
   * assert.equal(await io.run(), 0); // dropped: it never runs
   * assert.equal(ran, false);
   * ```
   *
   * @typeParam T What `fn` returns or resolves to.
   * @param fn The function to run.
   * @param options A `signal` that drops `fn` while it is queued.
   * @returns A promise of `fn`'s outcome; if `signal` aborts before `fn`
   * started, it rejects with `signal.reason` and `fn` never runs.
   * @throws {TypeError} Rejects if `fn` is not a function or `signal` not
   * an `AbortSignal`; nothing is queued.
   */
  submit<T>(
    fn: () => T | PromiseLike<T>,
    options?: SubmitOptions,
  ): Promise<T> {
    return submit(this, this.#enqueueBound, fn, options, "submit handler");
  }

  /**
   * Runs a handler at once, inline, when called from a handler this executor
   * is running (on this call stack); otherwise queues it like `post`. An
   * inline handler's throw propagates to the caller, and it is not counted
   * in the number of handlers a run returns (as in asio).
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const log: string[] = [];
   * io.post(() => {
   *   io.dispatch(() => log.push("inline"));
   *   io.post(() => log.push("queued"));
   *   log.push("after dispatch");
   * });
   * await io.run();
   * assert.deepEqual(log, ["inline", "after dispatch", "queued"]);
   * ```
   *
   * @param handler The function to run.
   * @throws {TypeError} If `handler` is not a function.
   */
  dispatch(handler: () => unknown): void {
    if (typeof handler !== "function") {
      throw notAFunction("Cannot dispatch handler as it", handler);
    }
    if (this.#depth > 0) {
      const result = handler();
      if (result !== undefined) this.#adopt(result);
    } else {
      this.#enqueue(handler);
    }
  }

  /**
   * Queues a handler as a continuation of the current one: called from a
   * handler this executor is running, it is held until that handler returns
   * and then appended; otherwise it is `post`.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const log: string[] = [];
   * io.post(() => {
   *   io.defer(() => log.push("deferred"));
   *   io.post(() => log.push("posted"));
   * });
   * await io.run();
   * assert.deepEqual(log, ["posted", "deferred"]);
   * ```
   *
   * @param handler The function to run.
   * @throws {TypeError} If `handler` is not a function; nothing is queued.
   */
  defer(handler: () => unknown): void {
    if (typeof handler !== "function") {
      throw notAFunction("Cannot defer handler as it", handler);
    }
    if (this.#depth > 0) {
      this.#deferred.push(handler);
      this.#flags |= DEFERRED;
    } else {
      this.#enqueue(handler);
    }
  }

  /**
   * Counts one unit of outstanding work until `promise` settles, then posts
   * `handler` with the outcome. The way to bring any async operation under
   * the executor: `run()` keeps going until its handler has run.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * let outcome: PromiseSettledResult<number> | undefined;
   * io.track(Promise.resolve(42), (result) => { outcome = result; });
   * assert.equal(await io.run(), 1);
   * assert.deepEqual(outcome, { status: "fulfilled", value: 42 });
   * ```
   *
   * @typeParam T The promise's value.
   * @param promise The promise (or thenable) to wait for.
   * @param handler Posted with the promise's `PromiseSettledResult`.
   * @throws {TypeError} If `promise` has no `then` method or `handler` is
   * not a function; nothing is tracked.
   */
  track<T>(
    promise: PromiseLike<T>,
    handler: (result: PromiseSettledResult<T>) => unknown,
  ): void {
    if (!isThenable(promise)) {
      throw argumentError(
        "Cannot track promise as it",
        "a promise or thenable",
        promise,
      );
    }
    if (typeof handler !== "function") {
      throw notAFunction("Cannot track promise as 'handler'", handler);
    }
    this.#work++;
    Promise.resolve(promise).then(
      (value) => this.#complete(() => handler({ status: "fulfilled", value })),
      (reason: unknown) =>
        this.#complete(() => handler({ status: "rejected", reason })),
    );
  }

  /**
   * Creates a {@linkcode WorkGuard} that counts as outstanding work until it
   * is reset or disposed, so that `run()` waits for handlers to be posted
   * instead of returning when the queue is empty.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const guard = io.makeWorkGuard();
   * const done = io.run(); // waits: the guard is outstanding work
   * setTimeout(() => {
   *   io.post(() => guard.reset()); // the last handler releases the guard
   * }, 1);
   * assert.equal(await done, 1);
   * ```
   *
   * @returns A guard that owns one unit of work.
   */
  makeWorkGuard(): WorkGuard {
    return new WorkGuard(this);
  }

  /**
   * Runs handlers until the executor runs out of work or is stopped. With no
   * outstanding work at the start it stops the executor and resolves 0; when
   * it runs out of work it stops the executor too. If the executor is
   * stopped it resolves 0 at once. Waits without spinning while the queue is
   * empty and work is outstanding.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * io.post(() => { throw new Error("boom"); });
   * io.post(() => {});
   * await assert.rejects(io.run(), { message: "boom" });
   * assert.equal(io.stopped, false);
   * assert.equal(await io.run(), 1); // continues with the next handler
   * ```
   *
   * @returns How many handlers it ran.
   * @throws {unknown} Rejects with the error of a handler that threw or
   * whose returned promise rejected.
   */
  run(): Promise<number> {
    return this.#run(Infinity, Infinity);
  }

  /**
   * Runs at most one handler, waiting for one if the queue is empty and work
   * is outstanding. Stops the executor if no work is left afterwards.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * io.post(() => {});
   * io.post(() => {});
   * assert.equal(await io.runOne(), 1);
   * assert.equal(io.stopped, false);
   * assert.equal(await io.runOne(), 1);
   * assert.equal(io.stopped, true); // out of work
   * ```
   *
   * @returns 1 if a handler ran, 0 if the executor stopped or had no work.
   * @throws {unknown} Rejects with the error of a handler that threw.
   */
  runOne(): Promise<number> {
    return this.#run(1, Infinity);
  }

  /**
   * Like `run`, but returns after at most `ms` milliseconds.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const guard = io.makeWorkGuard();
   * io.post(() => {});
   * assert.equal(await io.runFor(5), 1); // then waited 5 ms for more
   * assert.equal(io.stopped, false); // the guard is still outstanding
   * guard.reset();
   * ```
   *
   * @param ms How long to run, in milliseconds.
   * @returns How many handlers it ran.
   * @throws {TypeError} Rejects if `ms` is not a number.
   * @throws {RangeError} Rejects if `ms` is negative, NaN or infinite.
   * @throws {unknown} Rejects with the error of a handler that threw.
   */
  runFor(ms: number): Promise<number> {
    try {
      assertFiniteNumber(ms, "Cannot run executor as 'ms'", 0);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(Infinity, performance.now() + ms);
  }

  /**
   * Like `run`, but returns once `performance.now()` reaches `deadlineMs`.
   * A deadline in the past runs nothing.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * io.post(() => {});
   * assert.equal(await io.runUntil(performance.now() + 1000), 1);
   * ```
   *
   * @param deadlineMs When to return, on the `performance.now()` clock.
   * @returns How many handlers it ran.
   * @throws {TypeError} Rejects if `deadlineMs` is not a number.
   * @throws {RangeError} Rejects if `deadlineMs` is NaN or infinite.
   * @throws {unknown} Rejects with the error of a handler that threw.
   */
  runUntil(deadlineMs: number): Promise<number> {
    try {
      assertFiniteNumber(deadlineMs, "Cannot run executor as 'deadlineMs'");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(Infinity, deadlineMs);
  }

  /**
   * Runs every handler that is ready, synchronously, without waiting:
   * including handlers posted by those it runs, until the queue is empty or
   * the executor is stopped (so a handler that re-posts itself forever keeps
   * `poll` from returning; use `pollOne` or `run` for those). Stops the
   * executor if no work is left.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * io.post(() => io.post(() => {}));
   * assert.equal(io.poll(), 2);
   * ```
   *
   * @returns How many handlers it ran.
   * @throws {unknown} The error of a handler that threw, or of an async
   * handler's rejected promise, rethrown synchronously; the other handlers
   * stay queued.
   */
  poll(): number {
    return this.#poll(Infinity);
  }

  /**
   * Runs at most one ready handler, synchronously, without waiting.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * io.post(() => {});
   * io.post(() => {});
   * assert.equal(io.pollOne(), 1);
   * assert.equal(io.pollOne(), 1);
   * assert.equal(io.pollOne(), 0);
   * ```
   *
   * @returns 1 if a handler ran, else 0.
   * @throws {unknown} The error of the handler, rethrown synchronously.
   */
  pollOne(): number {
    return this.#poll(1);
  }

  /**
   * Stops the executor: every active run returns after its current handler,
   * and runs return 0 at once until `restart()`. Queued handlers are kept.
   * Safe to call from anywhere, any number of times.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * io.post(() => {});
   * io.stop();
   * assert.equal(await io.run(), 0);
   * io.restart();
   * assert.equal(await io.run(), 1);
   * ```
   */
  stop(): void {
    this.#flags |= STOPPED;
    this.#notify();
  }

  /**
   * Clears `stopped` so that the executor can run again, after `stop()` or
   * after a run ran out of work. Call it when no run is active.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * await io.run(); // no work: stopped
   * io.post(() => {});
   * assert.equal(await io.run(), 0); // still stopped
   * io.restart();
   * assert.equal(await io.run(), 1);
   * ```
   */
  restart(): void {
    this.#flags &= ~STOPPED;
  }

  // The common loop of run, runOne, runFor and runUntil.
  async #run(max: number, deadline: number): Promise<number> {
    let count = 0;
    while (count < max && (this.#flags & STOPPED) === 0) {
      if (this.#queued() !== 0) {
        const now = performance.now();
        if (now >= deadline) break;
        count += this.#step(
          max - count,
          Math.min(now + SLICE_MS, deadline),
          now,
        );
        if (
          count < max && this.#queued() !== 0 && (this.#flags & STOPPED) === 0
        ) {
          // The slice is over: let timers and I/O run (asio's reactor turn).
          await yieldToEventLoop();
        }
      } else if (this.#work !== 0) {
        if (performance.now() >= deadline) break;
        // Without a deadline the wake promise is awaited here, one promise
        // step less for each wake-up (a submit's round trip) than through
        // the async #waitForWork.
        if (deadline === Infinity) await this.#wakePromise();
        else await this.#waitForWork(deadline);
      } else {
        break;
      }
    }
    this.#stopIfOutOfWork();
    return count;
  }

  #poll(max: number): number {
    if ((this.#flags & STOPPED) !== 0) return 0;
    let count = 0;
    // A drain returns early with work left only after an error given to
    // onError; then it goes on.
    while (
      count < max && (this.#flags & STOPPED) === 0 && this.#queued() !== 0
    ) {
      count += this.#step(max - count, Infinity, 0);
    }
    this.#stopIfOutOfWork();
    return count;
  }

  // One #drain, with its count corrected for the handlers that are not
  // counted, and its error given to onError when there is one.
  #step(max: number, until: number, now: number): number {
    let count: number;
    try {
      count = this.#drain(max, until, now);
    } catch (error) {
      count = this.#drained - this.#uncounted;
      this.#uncounted = 0;
      const onError = this.#onError;
      if (onError === undefined) throw error;
      onError(error);
      return count;
    }
    if (this.#uncounted !== 0) {
      count -= this.#uncounted;
      this.#uncounted = 0;
    }
    return count;
  }

  // Runs up to `max` queued handlers, returning early when the queue is
  // empty, the executor stops, or the clock reaches `until` (`now` is the
  // clock when it starts, read by the caller; unused without `until`). The
  // hot path, shaped by measurement: handlers run in chunks (up to the end
  // of the front block, the next clock reading or `max`) by #runChunk, which
  // only takes the handler, clears its slot, records the position and tests
  // #flags; no allocation. A throw leaves through `finally`, which restores
  // the state; the thrower was already taken off the queue and the rest stay
  // queued.
  #drain(max: number, until: number, now: number): number {
    const depth = this.#depth;
    let count = 0;
    // Without a deadline (poll) the clock is never read: chunks are as long
    // as they may be.
    let interval = until === Infinity ? MAX_CLOCK_INTERVAL : 1;
    let left = interval; // handlers until the next clock reading
    let last = now;
    // A nested drain (a handler polling its own executor) keeps its own
    // deferred list, so the outer handler's stay held until it returns.
    const outerDeferred = depth > 0 ? this.#deferred : undefined;
    if (outerDeferred !== undefined) this.#deferred = [];
    // Set once for the whole loop: between two handlers nothing else runs.
    this.#depth = depth + 1;
    try {
      while (count < max && (this.#flags & STOPPED) === 0) {
        let front = this.#front;
        let index = this.#index;
        if (index === this.#end) {
          if (this.#blocks.length !== 0) {
            this.#front = front = this.#blocks.shift(front);
            this.#end = BLOCK_LENGTH;
          } else {
            const length = this.#backLength;
            if (length === 0) break;
            // Swap: the used-up front block, whose slots were all cleared,
            // becomes the back one and is overwritten from slot 0.
            const back = this.#back;
            this.#back = front;
            this.#backLength = 0;
            this.#front = front = back;
            this.#end = length;
          }
          index = 0;
        }
        const start = index;
        const countEnd = index + max - count;
        const limit = Math.min(this.#end, index + left, countEnd);
        this.#batchEnd = countEnd;
        this.#flags &= ~REENTERED;
        try {
          index = this.#runChunk(front, index, limit);
        } catch (error) {
          // The thrower was taken and counts as run.
          count += this.#thrownAt - start;
          throw error;
        }
        count += index - start;
        left -= index - start;
        if ((this.#flags & BATCHED) !== 0) {
          count += this.#batched;
          left -= this.#batched;
          this.#batched = 0;
          this.#flags &= ~BATCHED;
        }
        if (left <= 0) {
          left = interval;
          if (until !== Infinity) {
            const now = performance.now();
            if (now >= until) break;
            interval = nextClockInterval(interval, now - last);
            last = now;
            left = interval;
          }
        }
      }
    } finally {
      if ((this.#flags & BATCHED) !== 0) {
        // A batch that threw: count what it ran (for onError's run).
        count += this.#batched;
        this.#batched = 0;
        this.#flags &= ~BATCHED;
      }
      this.#drained = count;
      this.#depth = depth;
      if (this.#deferred.length !== 0) this.#flushDeferred();
      this.#flags &= ~DEFERRED;
      if (outerDeferred !== undefined) {
        this.#deferred = outerDeferred;
        // Tell the enclosing drain that the queue moved under it.
        this.#flags |= REENTERED | (outerDeferred.length !== 0 ? DEFERRED : 0);
      }
    }
    return count;
  }

  // Runs the handlers of `front` from `index` up to `limit`, returning the
  // index after the last one it ran: it stops early when #flags is set
  // after a handler (stopped, a nested drain moved the queue, or a batch
  // used up some of the chunk's budget), for #drain to re-read them. A
  // method of its own, not a loop inside #drain: the engines then optimize
  // it as a whole function, where a nested loop is compiled on its own
  // (on-stack replacement) and, under Deno, thrown away at each exit.
  #runChunk(front: Block, index: number, limit: number): number {
    try {
      while (index < limit) {
        const handler = front[index]!;
        // Clear the slot so the queue does not keep a handler alive.
        front[index] = undefined;
        this.#index = ++index;
        const result = handler();
        if (result !== undefined) this.#adopt(result);
        if (this.#flags !== 0) {
          if (this.#deferred.length !== 0) this.#flushDeferred();
          this.#flags &= ~DEFERRED;
          if (this.#flags !== 0) break;
        }
      }
    } catch (error) {
      // This chunk's position, which #index no longer tells if the handler
      // ran a nested drain before it threw.
      this.#thrownAt = index;
      throw error;
    }
    return index;
  }

  // A handler returned something: if it is a promise, count it as work
  // until it settles; a rejection is rethrown by a handler queued at the
  // front, so that it reaches the active (or next) run promptly.
  #adopt(result: unknown): void {
    if (!isThenable(result)) return;
    this.#work++;
    Promise.resolve(result).then(this.#workFinishedBound, (error: unknown) => {
      const rethrow = (): never => {
        this.#uncounted++;
        throw error;
      };
      if (this.#index > 0) {
        this.#front[--this.#index] = rethrow;
      } else {
        this.#front.unshift(rethrow); // rare: O(n) is fine here
        this.#end++;
      }
      this.#notify();
      this.#workFinished();
    });
  }

  #enqueue(handler: () => unknown): void {
    let n = this.#backLength;
    // One test for both rare cases (a full back block, a waiting run): a
    // post tests one field, as before blocks.
    if (n >= this.#postLimit) n = this.#enqueueSlowly();
    this.#back[n] = handler;
    this.#backLength = n + 1;
  }

  // A post met #postLimit: wakes a waiting run and starts a new back block
  // if the back one is full. Returns where to write the handler.
  #enqueueSlowly(): number {
    this.#notify();
    const n = this.#backLength;
    return n === BLOCK_LENGTH ? this.#startBack() : n;
  }

  // The back block is full: it joins the full ones and a spare or new
  // block becomes the back. Returns the new #backLength, 0.
  #startBack(): number {
    this.#back = this.#blocks.append(this.#back);
    return this.#backLength = 0;
  }

  #flushDeferred(): void {
    const deferred = this.#deferred;
    for (let i = 0; i < deferred.length; i++) this.#enqueue(deferred[i]!);
    deferred.length = 0;
  }

  // Queues the completion handler of a unit of work, then ends the work:
  // in this order, so a run never sees "no work" in between.
  #complete(handler: () => unknown): void {
    this.#enqueue(handler);
    this.#workFinished();
  }

  #workFinished(): void {
    if (--this.#work === 0 && this.#queued() === 0) this.#notify();
  }

  #queued(): number {
    return this.#end - this.#index +
      this.#blocks.length * BLOCK_LENGTH + this.#backLength;
  }

  #stopIfOutOfWork(): void {
    // Inside a handler (a nested poll or run) the executor is not out of
    // work: that handler is still running and may defer more.
    if (this.#depth > 0) return;
    if (this.#work === 0 && this.#queued() === 0) {
      this.#flags |= STOPPED;
      // Other runs waiting concurrently must see it too.
      this.#notify();
    }
  }

  #notify(): void {
    const resolve = this.#resolveWake;
    if (resolve === undefined) return;
    this.#wake = this.#resolveWake = undefined;
    this.#postLimit = BLOCK_LENGTH;
    resolve();
  }

  // The promise that the next notify() resolves.
  #wakePromise(): Promise<void> {
    return this.#wake ??= new Promise((resolve) => {
      this.#resolveWake = resolve;
      this.#postLimit = 0;
    });
  }

  // Waits until notified or until `deadline` (finite) passes.
  async #waitForWork(deadline: number): Promise<void> {
    const wake = this.#wakePromise();
    // A timeout wakes every waiting run; they all recheck their state, so
    // a spurious wake-up is harmless.
    const timer = new LongTimeout(
      () => this.#notify(),
      deadline - performance.now(),
    );
    try {
      await wake;
    } finally {
      timer.clear();
    }
  }
}
