// Copyright 2026 the iox authors. MIT license.
// ThreadPool: the pool's policy. This file admits calls, reports stats and
// events, and closes; the parts it delegates, one concern each:
//   _scheduler.ts  where and when a job runs (queue, workers, the pass)
//   _worker.ts     one worker's lifecycle (spawn, messages, claims, retire)
//   _ledger.ts     settling each job once, counts and timings
//   _recovery.ts   aborts, cancels, crashes, failed setups and loads, terminate
//   _stream.ts     the ReadableStream side of `stream()`
// The guarantees users rely on are in ../thread_pool.ts.
//
// A job's lifecycle (every `run`, every `map` entry, every `stream`):
//
//   accepted ─▶ queued ⇄ given ─▶ started ─▶ settled
//                  └───────┴─────────┴──────────▲
//
// - accepted: `#accept` checks everything that can refuse a call (bad
//   arguments, a closed pool, a failed module, an aborted signal, a full
//   queue) before a job exists; a refused call never becomes a job.
// - queued: in the scheduler's queue, highest priority first, FIFO among
//   equals.
// - given: handed to one worker, which has not started it (its claim cell
//   is QUEUED). Still the pool's to move: a free worker takes it back
//   (steal), a higher priority takes its place (preempt), an abort drops
//   it, its worker's death puts it back in the queue. A job that transfers
//   buffers cannot be sent twice, so it is given only to a free worker and
//   a death rejects it.
// - started: the worker claimed it. Only its result, its worker's death
//   (WorkerCrashedError) or an abort or timeout (which replaces the
//   worker; a stream is asked to stop instead) end it.
// - settled: by the Ledger, exactly once (`done`), from any state; its
//   timer and abort listener go with it. Final.

import { PoolClosedError } from "../errors.ts";
import { receiveError } from "../_util/error_transfer.ts";
import type { DurationStats } from "./_histogram.ts";
import { Ledger } from "./_ledger.ts";
import { armJob, checkCall, Job, type StreamSink } from "./_job.ts";
import { type PoolSettings, readSettings } from "./_settings.ts";
import { Recovery } from "./_recovery.ts";
import { Scheduler } from "./_scheduler.ts";
import { enqueueValues, jobStream } from "./_stream.ts";
import { PoolWorker, type WorkerOwner } from "./_worker.ts";
import { assertIterable, optionsObject } from "../_util/validate.ts";
import type {
  ThreadPoolEventMap,
  ThreadPoolMapOptions,
  ThreadPoolOptions,
  ThreadPoolRunOptions,
  ThreadPoolStats,
  ThreadPoolStreamOptions,
  ThreadPoolWorkerEventDetail,
} from "./options.ts";

export type * from "./options.ts";
export type { DurationStats };
export { SETUP_RETRY_MAX_MS, SETUP_RETRY_MS } from "./_scheduler.ts";

/**
 * The default `highWaterMark` of {@linkcode ThreadPool.prototype.stream}:
 * how many values may wait unread before the generator is paused.
 *
 * @example Usage
 * ```ts
 * import { STREAM_HIGH_WATER_MARK } from "@iox/iox/thread-pool";
 * import assert from "node:assert/strict";
 *
 * assert.ok(Number.isInteger(STREAM_HIGH_WATER_MARK) && STREAM_HIGH_WATER_MARK > 0);
 * ```
 */
export const STREAM_HIGH_WATER_MARK = 256;
const NO_OPTIONS: ThreadPoolRunOptions = {};

/**
 * A pool of Web Workers running the exported functions of one task module,
 * with asio's work-conserving scheduling and a settlement guarantee for
 * every task (see the module documentation for the full list). It is an
 * `EventTarget`: "workerstart" when a worker is ready (module loaded,
 * `setup` done), "workerexit" when one ends (`detail: { threadId, reason? }`,
 * `reason` set when it did not end by the pool's choice), and "drain" when
 * the tasks that had to wait for a thread have all started.
 *
 * @example Crash safety
 * ```ts
 * import { ThreadPool, WorkerCrashedError } from "@iox/iox/thread-pool";
 * import assert from "node:assert/strict";
 *
 * const tasks = `data:text/javascript,
 *   export function fail() { throw new RangeError("nope"); }
 *   export function die() { setTimeout(() => { throw new Error("gone"); }); return new Promise(() => {}); }
 *   export function ok() { return "still here"; }`;
 * await using pool = new ThreadPool(tasks, { threads: 1 });
 * await assert.rejects(pool.run("fail"), { name: "RangeError", message: "nope" });
 * await assert.rejects(pool.run("die"), WorkerCrashedError);
 * assert.equal(await pool.run("ok"), "still here");
 * ```
 */
export class ThreadPool extends EventTarget implements AsyncDisposable {
  #settings: PoolSettings;
  #scheduler: Scheduler;
  #recovery: Recovery;
  #order = 0;
  #ledger = new Ledger();
  #nextId = 0;
  #closed: PromiseWithResolvers<void> | undefined = undefined;
  #owner: WorkerOwner = {
    ready: (worker) => {
      this.#scheduler.setupSucceeded();
      this.#emit("workerstart", { threadId: worker.id });
    },
    settled: (job, ok, value, runMs, receivedAt) => {
      this.#ledger.ran(job, runMs, receivedAt);
      const aborted = job.stream?.aborted;
      if (aborted !== undefined) this.#ledger.reject(job, aborted.reason);
      else if (ok) this.#ledger.resolve(job, value);
      else this.#ledger.reject(job, receiveError(value));
    },
    reported: (worker) => {
      this.#recovery.reported();
      this.#scheduler.reported(worker);
      this.#maybeFinishClose();
    },
    values: enqueueValues,
    loadFailed: (cause) => this.#recovery.loadFailed(cause),
    died: (worker, cause, death) => this.#recovery.died(worker, cause, death),
  };

  /**
   * Creates a pool. No worker starts until the first task, but for
   * `minThreads`.
   *
   * @example Warm workers with per-worker setup
   * ```ts
   * import { ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * const tasks = `data:text/javascript,
   *   let table;
   *   export function setup(data) { table = new Map(data); }
   *   export function lookup(key) { return table.get(key); }`;
   * await using pool = new ThreadPool(tasks, {
   *   threads: 2,
   *   minThreads: 2,
   *   workerData: [["a", 1], ["b", 2]],
   *   maxTasksPerWorker: 1000,
   * });
   * assert.equal(pool.stats.threads, 2);
   * assert.equal(await pool.run("lookup", ["b"]), 2);
   * ```
   *
   * @param module The task module: a `URL` (recommended:
   * `new URL("./tasks.ts", import.meta.url)`), a URL string, an absolute
   * path, or a path relative to the current working directory.
   * @param options Threads, queue, timeouts, workerData, recycling.
   * @throws {TypeError} If `module` is not a URL or a path, or an option
   * has the wrong type.
   * @throws {RangeError} If `threads` is not a positive integer, `minThreads`
   * not an integer in 0..threads, `maxQueue` not a non-negative integer (or
   * `Infinity`), `maxTasksPerWorker` not a positive integer (or `Infinity`),
   * or a timeout not a positive number.
   * @throws {DOMException} "DataCloneError" if `workerData` cannot be cloned.
   */
  constructor(module: string | URL, options?: ThreadPoolOptions) {
    super();
    const settings = this.#settings = readSettings(module, options);
    this.#scheduler = new Scheduler(settings, {
      spawn: () => {
        const id = ++this.#nextId;
        return new PoolWorker(id, `${settings.name} #${id}`, {
          module: settings.module.href,
          workerData: settings.workerData,
        }, this.#owner);
      },
      spawnFailed: (error) => this.#recovery.loadFailed(error),
      unsendable: (job, error) => this.#ledger.reject(job, error),
      retired: (worker, reason) =>
        this.#emit(
          "workerexit",
          reason === undefined
            ? { threadId: worker.id }
            : { threadId: worker.id, reason },
        ),
      drained: () => this.#emit("drain"),
      passed: () => this.#maybeFinishClose(),
    });
    this.#recovery = new Recovery({
      name: settings.name,
      module: settings.module.href,
      scheduler: this.#scheduler,
      ledger: this.#ledger,
      settled: () => this.#maybeFinishClose(),
    });
    this.#scheduler.start();
  }

  /**
   * A snapshot of the pool's counters and timings.
   *
   * @example Usage
   * ```ts
   * import { ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * await using pool = new ThreadPool("data:text/javascript,export const id = (x) => x;");
   * await pool.run("id", [1]);
   * const { completed, queued, runTime, utilization } = pool.stats;
   * assert.equal(completed, 1);
   * assert.equal(queued, 0);
   * assert.equal(runTime.count, 1);
   * assert.ok(utilization >= 0 && utilization <= 1);
   * ```
   *
   * @returns Workers alive and idle, tasks queued and running, totals, the
   * wait and run times of the tasks so far, and the share of the threads'
   * time spent running tasks.
   */
  get stats(): ThreadPoolStats {
    const scheduler = this.#scheduler;
    const { running, held } = scheduler.load();
    return {
      threads: scheduler.workers.size,
      idle: scheduler.idle,
      queued: scheduler.queue.size + held,
      running,
      completed: this.#ledger.completed,
      failed: this.#ledger.failed,
      crashed: this.#recovery.crashed,
      ...this.#ledger.timings(this.#settings.maxThreads),
    };
  }

  /**
   * Runs the task module's export `name` with `args` in a worker.
   *
   * @example Usage
   * ```ts
   * import { ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * const tasks = "data:text/javascript,export async function sum(bytes) { return new Uint8Array(bytes).reduce((a, b) => a + b, 0); }";
   * await using pool = new ThreadPool(tasks, { threads: 1 });
   * const bytes = new Uint8Array([1, 2, 3]).buffer;
   * assert.equal(await pool.run("sum", [bytes], { transfer: [bytes], priority: 1 }), 6);
   * assert.equal(bytes.byteLength, 0); // moved, not copied
   * ```
   *
   * @typeParam R The task's result type.
   * @param name The exported function to call.
   * @param args Its arguments, sent by structured clone.
   * @param options `transfer`, `signal`, `timeoutMs`, `priority`.
   * @returns The task's result. Rejects with the task's own error if it
   * throws; `TypeError` for an unknown task name, or an argument or option
   * of the wrong type; `RangeError` for an option out of range (a
   * `priority` that is not finite, a `timeoutMs` not positive) or a full
   * queue; a `DOMException` named "DataCloneError" if `args` cannot be
   * cloned; the signal's reason or a
   * "TimeoutError" `DOMException` if aborted or timed out;
   * {@linkcode WorkerCrashedError} if its worker died while running it;
   * {@linkcode PoolClosedError} after `close()` or `terminate()`.
   */
  run<R>(
    name: string,
    args: unknown[] = [],
    options?: ThreadPoolRunOptions,
  ): Promise<R> {
    try {
      const given = options ?? NO_OPTIONS;
      if (typeof given !== "object") optionsObject(given, `run task '${name}'`);
      const { promise, resolve } = Promise.withResolvers<R>();
      this.#accept(
        "run",
        name,
        args,
        given.transfer,
        given.signal,
        given.timeoutMs ?? this.#settings.taskTimeoutMs,
        given.priority ?? 0,
        resolve as (value: unknown) => void,
        undefined,
      );
      return promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Runs the task `name` once per entry of `argsList`, all at once, and
   * resolves with the results in order (rejects like `Promise.all`; the other
   * tasks still run). A batch that does not fit under `maxQueue` is refused
   * whole with a `RangeError`: none of it is queued.
   *
   * @example Usage
   * ```ts
   * import { ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * await using pool = new ThreadPool("data:text/javascript,export const square = (x) => x * x;", { threads: 2 });
   * assert.deepEqual(await pool.map("square", [[1], [2], [3]], { priority: 5 }), [1, 4, 9]);
   * ```
   *
   * @typeParam R The task's result type.
   * @param name The exported function to call.
   * @param argsList One arguments array per task.
   * @param options `signal`, `timeoutMs` and `priority`, for each task.
   * @returns The results in the order of `argsList`. Rejects with the first
   * task error (as `Promise.all`); the other tasks still run to the end.
   * @throws {TypeError} (as a rejection) If `argsList` is not iterable, or
   * an option has the wrong type.
   */
  map<R>(
    name: string,
    argsList: Iterable<unknown[]>,
    options?: ThreadPoolMapOptions,
  ): Promise<R[]> {
    const runs: Promise<R>[] = [];
    try {
      const action = `map task '${name}'`;
      assertIterable(argsList, `Cannot ${action} as 'argsList'`);
      const given = optionsObject(options, action);
      const list = [...argsList];
      // All or nothing: a batch that does not fit in the queue is refused
      // whole, so no task of it runs unseen by the caller. Its tasks are
      // not checked again: this counted them all, and none starts (nor
      // does any other job) before the next pass.
      if (this.#settings.maxQueue !== Infinity && list.length > 0) {
        this.#checkQueue("map", name, list.length);
      }
      for (const args of list) {
        const { promise, resolve } = Promise.withResolvers<R>();
        try {
          this.#accept(
            "map",
            name,
            args,
            undefined,
            given.signal,
            given.timeoutMs ?? this.#settings.taskTimeoutMs,
            given.priority ?? 0,
            resolve as (value: unknown) => void,
            undefined,
          );
          runs.push(promise);
        } catch (error) {
          runs.push(Promise.reject(error));
        }
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.all(runs);
  }

  /**
   * Runs the task module's generator export `name` (sync or async) in a
   * worker and streams what it yields. Values flow with backpressure: the
   * generator is resumed only while the stream's queue has room (at most
   * `highWaterMark` values wait on this side). Cancelling the stream, or
   * aborting `signal`, stops the generator: its `finally` blocks run in the
   * worker, and `cancel()` resolves once they did. An error thrown by the
   * generator errors the stream, after the values yielded before it. A
   * stream holds its worker until it ends, and an unfinished one keeps
   * `close()` waiting, as a task that never settles would: read it to the
   * end, cancel it or abort it. `taskTimeoutMs` does not apply.
   * Every error errors the stream rather than throwing: bad arguments, a
   * closed pool, an export that is not a generator function (a
   * `TypeError` naming it), a yielded value that cannot be cloned (a
   * `DOMException` named "DataCloneError"; the generator is stopped), a
   * worker that dies ({@linkcode WorkerCrashedError}).
   *
   * @example Usage
   * ```ts
   * import { ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * const tasks = "data:text/javascript,export function* count(n) { for (let i = 0; i < n; i++) yield i; }";
   * await using pool = new ThreadPool(tasks, { threads: 1 });
   * const values = [];
   * for await (const value of pool.stream<number>("count", [5])) values.push(value);
   * assert.deepEqual(values, [0, 1, 2, 3, 4]);
   * ```
   *
   * @typeParam T The type of the values yielded.
   * @param name The exported generator function to call.
   * @param args Its arguments, sent by structured clone.
   * @param options `signal`, `transfer`, `priority`, `highWaterMark`.
   * @returns A stream of the values the generator yields.
   */
  stream<T>(
    name: string,
    args: unknown[] = [],
    options?: ThreadPoolStreamOptions,
  ): ReadableStream<T> {
    return jobStream<T>(name, options, STREAM_HIGH_WATER_MARK, {
      accept: (given, sink, finish) =>
        this.#accept(
          "stream",
          name,
          args,
          given.transfer,
          given.signal,
          Infinity,
          given.priority ?? 0,
          finish,
          sink,
        ),
      cancel: (job, reason) => this.#recovery.cancel(job, reason),
    });
  }

  /**
   * Stops accepting tasks, lets every accepted task settle, then ends the
   * workers. Idempotent; resolves when the pool holds no worker or timer.
   *
   * @example Usage
   * ```ts
   * import { PoolClosedError, ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * const pool = new ThreadPool("data:text/javascript,export const id = (x) => x;", { threads: 1 });
   * const pending = pool.run("id", [7]);
   * await pool.close();
   * assert.equal(await pending, 7);
   * await assert.rejects(pool.run("id", [8]), PoolClosedError);
   * ```
   *
   * @returns A promise that resolves once the pool is closed.
   */
  close(): Promise<void> {
    const closed = this.#beginClose();
    this.#maybeFinishClose();
    return closed;
  }

  /**
   * Ends every worker now; every task not yet settled rejects with
   * {@linkcode PoolClosedError}. Idempotent.
   *
   * @example Usage
   * ```ts
   * import { PoolClosedError, ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * const pool = new ThreadPool("data:text/javascript,export const forever = () => new Promise(() => {});", { threads: 1 });
   * const pending = pool.run("forever");
   * await pool.terminate();
   * await assert.rejects(pending, PoolClosedError);
   * ```
   *
   * @returns A promise that resolves once the workers are gone.
   */
  terminate(): Promise<void> {
    const closed = this.#beginClose();
    this.#recovery.rejectAll(() =>
      new PoolClosedError(
        `Cannot finish the task as thread pool '${this.#settings.name}' was terminated`,
      )
    );
    return closed;
  }

  /**
   * Closes the pool gracefully, as {@linkcode ThreadPool.prototype.close}.
   *
   * @example Usage
   * ```ts
   * import { ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * {
   *   await using pool = new ThreadPool("data:text/javascript,export const id = (x) => x;", { threads: 1 });
   *   assert.equal(await pool.run("id", ["x"]), "x");
   * } // closed here
   * ```
   *
   * @returns A promise that resolves once the pool is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Listens to the pool's events, typed: "workerstart" and "workerexit"
   * are `CustomEvent`s whose `detail` is a
   * {@linkcode ThreadPoolWorkerEventDetail}; "drain" is a plain event.
   *
   * @example Usage
   * ```ts
   * import { ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * const pool = new ThreadPool("data:text/javascript,export const id = (x) => x;", { threads: 1 });
   * const exited = new Promise<number>((resolve) =>
   *   pool.addEventListener("workerexit", (event) => resolve(event.detail.threadId))
   * );
   * await pool.run("id", [1]);
   * await pool.close();
   * assert.equal(await exited, 1);
   * ```
   *
   * @typeParam K The event's type.
   * @param type "workerstart", "workerexit" or "drain" (or any other type).
   * @param listener Called with each event of that type.
   * @param options As for `EventTarget.addEventListener`.
   */
  override addEventListener<K extends keyof ThreadPoolEventMap>(
    type: K,
    listener: (this: ThreadPool, event: ThreadPoolEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /**
   * Listens to events of any other type, as `EventTarget` does.
   *
   * @param type The event's type.
   * @param listener Called with each event of that type.
   * @param options As for `EventTarget.addEventListener`.
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener, options);
  }

  /**
   * Stops a listener added with {@linkcode ThreadPool.prototype.addEventListener}.
   *
   * @example Usage
   * ```ts
   * import { ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * await using pool = new ThreadPool("data:text/javascript,export const id = (x) => x;", { threads: 1 });
   * let starts = 0;
   * const count = () => starts++;
   * pool.addEventListener("workerstart", count);
   * pool.removeEventListener("workerstart", count);
   * await pool.run("id", [1]);
   * assert.equal(starts, 0);
   * ```
   *
   * @typeParam K The event's type.
   * @param type The type it was added for.
   * @param listener The listener.
   * @param options As for `EventTarget.removeEventListener`.
   */
  override removeEventListener<K extends keyof ThreadPoolEventMap>(
    type: K,
    listener: (this: ThreadPool, event: ThreadPoolEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  /**
   * Stops a listener of any other type, as `EventTarget` does.
   *
   * @param type The type it was added for.
   * @param listener The listener.
   * @param options As for `EventTarget.removeEventListener`.
   */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener, options);
  }

  // Checks a call and makes its job; throws what refuses it. The messages
  // are built only when thrown: this runs for every task.
  #accept(
    verb: "run" | "map" | "stream",
    name: string,
    args: unknown[],
    transfer: Transferable[] | undefined,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    priority: number,
    resolve: (value: unknown) => void,
    stream: StreamSink | undefined,
  ): Job {
    checkCall(verb, name, args, transfer, signal, timeoutMs, priority);
    if (this.#closed !== undefined) {
      throw new PoolClosedError(
        `Cannot ${verb} task '${name}' as thread pool '${this.#settings.name}' is closed`,
      );
    }
    const recovery = this.#recovery;
    if (recovery.loadError !== undefined) throw recovery.loadFailure(name);
    signal?.throwIfAborted();
    // A map's batch was checked whole, once, before its first task.
    if (this.#settings.maxQueue !== Infinity && verb !== "map") {
      this.#checkQueue(verb, name);
    }

    const job = new Job(
      stream === undefined ? name : [name],
      args,
      resolve,
      priority,
      this.#order++,
      this.#scheduler.now(),
    );
    armJob(job, transfer, signal, timeoutMs, stream, recovery.abort);
    this.#ledger.opened();
    this.#scheduler.add(job);
    return job;
  }

  #checkQueue(verb: string, name: string, adding = 1): void {
    const { running, held } = this.#scheduler.load();
    const free = Math.max(0, this.#settings.maxThreads - running);
    if (
      this.#scheduler.queue.size + held + adding >
        this.#settings.maxQueue + free
    ) {
      throw new RangeError(
        `Cannot ${verb} task '${name}' as the queue of thread pool '${this.#settings.name}' is full: maxQueue is ${this.#settings.maxQueue}`,
      );
    }
  }

  #emit(type: string, detail?: ThreadPoolWorkerEventDetail): void {
    queueMicrotask(() => this.dispatchEvent(new CustomEvent(type, { detail })));
  }

  // No new tasks from now on; close() and terminate() settle #closed.
  #beginClose(): Promise<void> {
    this.#scheduler.stop(false);
    return (this.#closed ??= Promise.withResolvers<void>()).promise;
  }

  #maybeFinishClose(): void {
    if (this.#closed === undefined || this.#ledger.unsettled > 0) return;
    this.#scheduler.stop(true);
    for (const worker of [...this.#scheduler.workers]) {
      this.#scheduler.retire(worker);
    }
    this.#closed.resolve();
  }
}
