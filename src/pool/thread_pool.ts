// Copyright 2026 the iox authors. MIT license.
// ThreadPool: the pool's policy. Guarantees: ../thread_pool.ts.

import { PoolClosedError, WorkerCrashedError } from "../errors.ts";
import {
  BATCH,
  ClaimCells,
  CRASHED,
  EXITING,
  INIT,
  LOAD_FAILED,
  MAX_BATCH,
  messageTag,
  RESULTS,
  RING_SIZE,
  slotOf,
} from "./_protocol.ts";
import { receiveError } from "./_error_transfer.ts";
import { spawnWorker } from "../_runtime/worker.ts";
import { resolveModule } from "../_util/module_url.ts";
import {
  formatValue,
  notAnAbortSignal,
  optionsObject,
} from "../_util/validate.ts";
import { LongTimeout } from "../_util/long_timeout.ts";

/** Options for {@linkcode ThreadPool}. */
export interface ThreadPoolOptions {
  /**
   * The most workers the pool runs at once. Workers start on demand.
   *
   * @default {navigator.hardwareConcurrency}
   */
  threads?: number;
  /**
   * The most tasks that may wait for a free worker; past it `run` rejects
   * with a `RangeError`. A task counts as waiting from `run` until it starts,
   * unless a worker is free to start it.
   *
   * @default {Infinity}
   */
  maxQueue?: number;
  /**
   * A name for the pool, used in error messages and worker names.
   *
   * @default {"ThreadPool"}
   */
  name?: string;
  /**
   * How long (ms) a worker with nothing to do lives before it exits; it is
   * started again on demand.
   *
   * @default {Infinity}
   */
  idleTimeoutMs?: number;
  /**
   * The deadline (ms) of every task that does not give its own `timeoutMs`,
   * counted from the call to `run`.
   *
   * @default {Infinity}
   */
  taskTimeoutMs?: number;
}

/** Options for {@linkcode ThreadPool.prototype.map}. */
export interface ThreadPoolMapOptions {
  /**
   * Aborts the task: removed from the queue if it has not started, its
   * worker replaced if it has. The task rejects with the signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The task's deadline in ms, counted from the call to `run` (queue time
   * included, like `AbortSignal.timeout`). Past it the task rejects with a
   * `DOMException` named "TimeoutError", as if aborted.
   *
   * @default {ThreadPoolOptions.taskTimeoutMs}
   */
  timeoutMs?: number;
}

/** Options for {@linkcode ThreadPool.prototype.run}. */
export interface ThreadPoolRunOptions extends ThreadPoolMapOptions {
  /**
   * Objects in `args` to transfer to the worker instead of copying them
   * (`ArrayBuffer`s, `MessagePort`s...). They are detached here once the
   * task is sent, so such a task cannot be re-queued: if its worker dies
   * before it starts, it rejects with {@linkcode WorkerCrashedError}.
   *
   * @default {[]}
   */
  transfer?: Transferable[];
}

/** A snapshot of a pool's counters, from {@linkcode ThreadPool.prototype.stats}. */
export interface ThreadPoolStats {
  /** Workers alive now. */
  threads: number;
  /** Workers alive with nothing to do. */
  idle: number;
  /** Tasks accepted that have not started. */
  queued: number;
  /** Tasks started and not yet settled. */
  running: number;
  /** Tasks that fulfilled. */
  completed: number;
  /**
   * Accepted tasks that rejected, for any reason. A call refused before its
   * task was accepted (bad arguments, a closed pool, a full queue, an
   * already aborted signal, a module that failed to load) is not counted.
   */
  failed: number;
  /** Workers that died on their own (not the ones the pool replaced after an abort or timeout). */
  crashed: number;
}

const WORKER_URL = new URL("./_worker_main.ts", import.meta.url);
const BARREN_DEATHS_LIMIT = 3;

// What only some tasks need, kept apart so that a plain task (100k may
// wait in the queue) is one small object besides its promise.
interface JobExtras {
  transfer: Transferable[] | undefined;
  timer: LongTimeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

class Job {
  seq = -1;
  thread: Thread | undefined = undefined;
  done = false;
  extras: JobExtras | undefined = undefined;
  constructor(
    readonly name: string,
    readonly args: unknown[],
    readonly resolve: (value: unknown) => void,
  ) {}
  get transfer(): Transferable[] | undefined {
    return this.extras?.transfer;
  }
}

class Thread {
  readonly claims = new ClaimCells();
  readonly jobs: (Job | undefined)[] = new Array(RING_SIZE);
  nextSeq = 0;
  outstanding = 0;
  settledStarted = 0;
  idle = false;
  retired = false;
  idleTimer: LongTimeout | undefined = undefined;
  readonly tag = messageTag();
  constructor(readonly id: number, readonly worker: Worker) {}
  get running(): number {
    return this.claims.started - this.settledStarted;
  }
  /** Tasks sent to this worker that it has not started. */
  get held(): number {
    return this.outstanding - this.running;
  }
}

// A thenable that rejects with `reason`: resolving a promise with it
// rejects that promise (one microtask later), so a task needs no reject
// function.
function rejecting(reason: unknown): PromiseLike<never> {
  return {
    then<T, E = never>(
      _onFulfilled?: ((value: never) => T | PromiseLike<T>) | null,
      onRejected?: ((reason: unknown) => E | PromiseLike<E>) | null,
    ): PromiseLike<T | E> {
      onRejected?.(reason);
      return rejecting(reason);
    },
  };
}

// The start of a task's error messages, built only when one is thrown.
function runTask(name: string): string {
  return `run task '${name}'`;
}

function checkMs(
  what: string,
  option: string,
  value: unknown,
  allowZero: boolean,
): number {
  const rule = `a ${
    allowZero ? "non-negative" : "positive"
  } number of milliseconds: current value is ${formatValue(value)}`;
  if (typeof value !== "number") {
    throw new TypeError(`Cannot ${what} as '${option}' must be ${rule}`);
  }
  if (Number.isNaN(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new RangeError(`Cannot ${what} as '${option}' must be ${rule}`);
  }
  return value;
}

/**
 * A pool of Web Workers running the exported functions of one task module,
 * with asio's scheduling and a settlement guarantee for every task (see the
 * module documentation for the full list).
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
export class ThreadPool implements AsyncDisposable {
  #module: URL;
  #name: string;
  #maxThreads: number;
  #maxQueue: number;
  #idleTimeoutMs: number;
  #taskTimeoutMs: number;
  #threads = new Set<Thread>();
  #idle: Thread[] = [];
  #queue: (Job | undefined)[] = [];
  #head = 0;
  #queued = 0;
  #unsettled = 0;
  #completed = 0;
  #failed = 0;
  #crashed = 0;
  #barrenDeaths = 0;
  #nextThreadId = 0;
  #pumpScheduled = false;
  #loadError: unknown = undefined;
  #closing = false;
  #closed: PromiseWithResolvers<void> | undefined = undefined;

  /**
   * Creates a pool. No worker starts until the first task.
   *
   * @param module The task module: a `URL` (recommended:
   * `new URL("./tasks.ts", import.meta.url)`), a URL string, an absolute
   * path, or a path relative to the current working directory.
   * @param options How many threads, how long a queue, timeouts.
   * @throws {TypeError} If `module` is not a URL or a path, or `name` is not
   * a string.
   * @throws {RangeError} If `threads` is not a positive integer, `maxQueue`
   * not a non-negative integer (or `Infinity`), or a timeout not a positive
   * number.
   */
  constructor(module: string | URL, options?: ThreadPoolOptions) {
    const what = "create thread pool";
    this.#module = resolveModule(module, what);
    const {
      threads = navigator.hardwareConcurrency,
      maxQueue = Infinity,
      name = "ThreadPool",
      idleTimeoutMs = Infinity,
      taskTimeoutMs = Infinity,
    } = optionsObject(options, what);
    if (!Number.isInteger(threads) || threads < 1) {
      throw new (typeof threads === "number" ? RangeError : TypeError)(
        `Cannot ${what} as 'threads' must be a positive integer: current value is ${
          formatValue(threads)
        }`,
      );
    }
    if (
      maxQueue !== Infinity && (!Number.isInteger(maxQueue) || maxQueue < 0)
    ) {
      throw new (typeof maxQueue === "number" ? RangeError : TypeError)(
        `Cannot ${what} as 'maxQueue' must be a non-negative integer or Infinity: current value is ${
          formatValue(maxQueue)
        }`,
      );
    }
    if (typeof name !== "string") {
      throw new TypeError(
        `Cannot ${what} as 'name' must be a string: current value is ${
          formatValue(name)
        }`,
      );
    }
    this.#maxThreads = threads;
    this.#maxQueue = maxQueue;
    this.#name = name;
    this.#idleTimeoutMs = checkMs(what, "idleTimeoutMs", idleTimeoutMs, true);
    this.#taskTimeoutMs = checkMs(what, "taskTimeoutMs", taskTimeoutMs, false);
  }

  /**
   * A snapshot of the pool's counters.
   *
   * @example Usage
   * ```ts
   * import { ThreadPool } from "@iox/iox/thread-pool";
   * import assert from "node:assert/strict";
   *
   * await using pool = new ThreadPool("data:text/javascript,export const id = (x) => x;");
   * await pool.run("id", [1]);
   * assert.equal(pool.stats.completed, 1);
   * assert.equal(pool.stats.queued, 0);
   * ```
   *
   * @returns Workers alive and idle, tasks queued and running, and totals.
   */
  get stats(): ThreadPoolStats {
    let running = 0;
    let assigned = 0;
    for (const thread of this.#threads) {
      running += thread.running;
      assigned += thread.outstanding;
    }
    return {
      threads: this.#threads.size,
      idle: this.#idle.length,
      queued: this.#queued + assigned - running,
      running,
      completed: this.#completed,
      failed: this.#failed,
      crashed: this.#crashed,
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
   * assert.equal(await pool.run("sum", [bytes], { transfer: [bytes] }), 6);
   * assert.equal(bytes.byteLength, 0); // moved, not copied
   * ```
   *
   * @typeParam R The task's result type.
   * @param name The exported function to call.
   * @param args Its arguments, sent by structured clone.
   * @param options `transfer`, `signal`, `timeoutMs`.
   * @returns The task's result. Rejects with the task's own error if it
   * throws; `TypeError` for an unknown task name, a `name` that is not a
   * string or `args` that is not an array; a `DOMException` named
   * "DataCloneError" if `args` cannot be cloned; `RangeError` if the queue is
   * full; the signal's reason or a "TimeoutError" `DOMException` if aborted
   * or timed out; {@linkcode WorkerCrashedError} if its worker died while
   * running it; {@linkcode PoolClosedError} after `close()` or
   * `terminate()`.
   */
  run<R>(
    name: string,
    args: unknown[] = [],
    options?: ThreadPoolRunOptions,
  ): Promise<R> {
    try {
      return this.#submit(name, args, options) as Promise<R>;
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
   * assert.deepEqual(await pool.map("square", [[1], [2], [3]]), [1, 4, 9]);
   * ```
   *
   * @typeParam R The task's result type.
   * @param name The exported function to call.
   * @param argsList One arguments array per task.
   * @param options `signal` and `timeoutMs`, applied to each task.
   * @returns The results in the order of `argsList`. Rejects with the first
   * task error (as `Promise.all`); the other tasks still run to the end.
   * @throws {TypeError} (as a rejection) If `argsList` is not iterable.
   */
  map<R>(
    name: string,
    argsList: Iterable<unknown[]>,
    options?: ThreadPoolMapOptions,
  ): Promise<R[]> {
    if (
      argsList === null || argsList === undefined ||
      typeof (argsList as Iterable<unknown[]>)[Symbol.iterator] !== "function"
    ) {
      return Promise.reject(
        new TypeError(
          `Cannot map task '${name}' as 'argsList' must be iterable: current value is ${
            formatValue(argsList)
          }`,
        ),
      );
    }
    let given: ThreadPoolMapOptions;
    try {
      given = optionsObject(options, `map task '${name}'`);
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal, timeoutMs } = given;
    const runOptions: ThreadPoolRunOptions = {};
    if (signal !== undefined) runOptions.signal = signal;
    if (timeoutMs !== undefined) runOptions.timeoutMs = timeoutMs;
    const list = [...argsList];
    // All or nothing: a batch that does not fit in the queue is refused
    // whole, so no task of it runs unseen by the caller.
    if (this.#maxQueue !== Infinity && list.length > 0) {
      try {
        this.#checkQueue("map", name, list.length);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const runs: Promise<R>[] = [];
    for (const args of list) runs.push(this.run<R>(name, args, runOptions));
    return Promise.all(runs);
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
    this.#closing = true;
    this.#closed ??= Promise.withResolvers<void>();
    this.#maybeFinishClose();
    return this.#closed.promise;
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
    this.#closing = true;
    this.#closed ??= Promise.withResolvers<void>();
    const reason = () =>
      new PoolClosedError(
        `Cannot finish the task as thread pool '${this.#name}' was terminated`,
      );
    for (const thread of [...this.#threads]) {
      for (const job of this.#retire(thread)) this.#reject(job, reason());
    }
    this.#drainQueue(reason);
    this.#maybeFinishClose();
    return this.#closed.promise;
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

  #submit(
    name: string,
    args: unknown[],
    options: ThreadPoolRunOptions | undefined,
  ) {
    if (typeof name !== "string") {
      throw new TypeError(
        `Cannot run task as 'name' must be a string: current value is ${
          formatValue(name)
        }`,
      );
    }
    if (!Array.isArray(args)) {
      throw new TypeError(
        `Cannot ${runTask(name)} as 'args' must be an array: current value is ${
          formatValue(args)
        }`,
      );
    }
    const given = options ?? {};
    // As for the other checks, the message is built only for a bad value.
    if (typeof given !== "object") optionsObject(given, runTask(name));
    const { transfer, signal, timeoutMs = this.#taskTimeoutMs } = given;
    if (transfer !== undefined && !Array.isArray(transfer)) {
      throw new TypeError(
        `Cannot ${
          runTask(name)
        } as 'transfer' must be an array: current value is ${
          formatValue(transfer)
        }`,
      );
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw notAnAbortSignal(`Cannot ${runTask(name)} as 'signal'`, signal);
    }
    if (!(typeof timeoutMs === "number" && timeoutMs > 0)) {
      checkMs(runTask(name), "timeoutMs", timeoutMs, false);
    }
    if (this.#closing) {
      throw new PoolClosedError(
        `Cannot ${runTask(name)} as thread pool '${this.#name}' is closed`,
      );
    }
    if (this.#loadError !== undefined) throw this.#loadFailure(name);
    signal?.throwIfAborted();
    if (this.#maxQueue !== Infinity) this.#checkQueue("run", name);

    // Only `resolve` is kept (see `rejecting`): the reject function of a
    // task's promise is garbage at once, a third less memory per queued task.
    const { promise, resolve } = Promise.withResolvers<unknown>();
    const job = new Job(name, args, resolve);
    if (transfer?.length || signal !== undefined || timeoutMs !== Infinity) {
      const extras: JobExtras = job.extras = {
        transfer: transfer?.length ? transfer : undefined,
        timer: undefined,
        signal,
        onAbort: undefined,
      };
      if (signal !== undefined) {
        extras.onAbort = () => this.#abort(job, signal.reason);
        signal.addEventListener("abort", extras.onAbort, { once: true });
      }
      if (timeoutMs !== Infinity) {
        extras.timer = new LongTimeout(() =>
          this.#abort(
            job,
            new DOMException(
              `Task '${name}' timed out after ${timeoutMs} ms`,
              "TimeoutError",
            ),
          ), timeoutMs);
      }
    }
    this.#unsettled++;
    this.#enqueue(job);
    return promise;
  }

  // The message is built only when it is thrown: this runs on every `run`.
  #checkQueue(verb: "run" | "map", name: string, adding = 1): void {
    const { queued, running } = this.stats;
    const free = Math.max(0, this.#maxThreads - running);
    if (queued + adding > this.#maxQueue + free) {
      throw new RangeError(
        `Cannot ${verb} task '${name}' as the queue of thread pool '${this.#name}' is full: maxQueue is ${this.#maxQueue}`,
      );
    }
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    this.#queued++;
    this.#schedulePump();
  }

  #dequeue(): Job | undefined {
    while (this.#head < this.#queue.length) {
      const job = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      if (job !== undefined && !job.done) {
        this.#queued--;
        if (this.#head === this.#queue.length) {
          this.#queue = [];
          this.#head = 0;
        } else if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        return job;
      }
    }
    return undefined;
  }

  // Wakes one idle worker per batch of queued tasks, starting workers up to
  // `threads`; what is left waits for a worker to report results.
  #pump = (): void => {
    this.#pumpScheduled = false;
    while (this.#queued > 0 && this.#loadError === undefined) {
      let thread = this.#idle.pop();
      if (thread === undefined) {
        if (this.#threads.size >= this.#maxThreads) return;
        thread = this.#spawn();
      }
      thread.idle = false;
      this.#feed(thread);
    }
  };

  // The most not-yet-started tasks one worker should hold: an equal part of
  // all the waiting work, so no worker sits on tasks another could run.
  #fairShare(): number {
    let waiting = this.#queued;
    for (const thread of this.#threads) waiting += thread.held;
    return Math.min(MAX_BATCH, Math.ceil(waiting / this.#maxThreads));
  }

  #feed(thread: Thread): void {
    if (thread.idleTimer !== undefined) {
      thread.idleTimer.clear();
      thread.idleTimer = undefined;
    }
    const batch: unknown[] = [BATCH];
    const jobs: Job[] = [];
    let transfer: Transferable[] | undefined;
    let room = this.#fairShare() - thread.held;
    while (room-- > 0 && thread.jobs[slotOf(thread.nextSeq)] === undefined) {
      const job = this.#dequeue();
      if (job === undefined) break;
      const seq = thread.nextSeq++;
      job.seq = seq;
      job.thread = thread;
      thread.jobs[slotOf(seq)] = job;
      thread.claims.assign(seq);
      thread.outstanding++;
      batch.push(seq, job.name, job.args);
      jobs.push(job);
      if (job.transfer) (transfer ??= []).push(...job.transfer);
    }
    if (jobs.length === 0) {
      this.#settleIdle(thread);
      return;
    }
    try {
      // An empty transfer list is not free (about a microsecond on Deno).
      if (transfer) thread.worker.postMessage(batch, transfer);
      else thread.worker.postMessage(batch);
    } catch {
      // Something in the batch cannot be sent: send the tasks one by one so
      // only the culprits fail.
      for (const job of jobs) {
        try {
          thread.worker.postMessage(
            [BATCH, job.seq, job.name, job.args],
            job.transfer ?? [],
          );
        } catch (error) {
          if (thread.claims.revoke(job.seq)) this.#release(thread, job);
          this.#reject(
            job,
            new DOMException(
              `Cannot run task '${job.name}' as its arguments cannot be sent to a worker: ${
                error instanceof Error ? error.message : String(error)
              }`,
              "DataCloneError",
            ),
          );
        }
      }
      this.#settleIdle(thread);
    }
  }

  #spawn(): Thread {
    const id = ++this.#nextThreadId;
    // The worker's events come on later turns, once `thread` is set.
    const thread: Thread = new Thread(
      id,
      spawnWorker(WORKER_URL, `${this.#name} #${id}`, {
        message: (data) => {
          if (!thread.retired) this.#onMessage(thread, data);
        },
        failed: (error) => {
          if (!thread.retired) this.#crash(thread, error);
        },
      }),
    );
    this.#threads.add(thread);
    thread.worker.postMessage([
      INIT,
      this.#module.href,
      thread.claims.buffer,
      thread.tag,
    ]);
    return thread;
  }

  // A message without the worker's tag came from a task's own postMessage:
  // ignored.
  #onMessage(thread: Thread, message: unknown): void {
    if (!Array.isArray(message) || typeof message[0] !== "number") return;
    switch (message[0] - thread.tag) {
      case RESULTS:
        this.#onResults(thread, message);
        break;
      case LOAD_FAILED:
        this.#onLoadFailed(receiveError(message[1]));
        break;
      case CRASHED:
        this.#crash(thread, receiveError(message[1]));
        break;
      case EXITING:
        this.#crash(thread, new Error(`Worker called ${message[1]}`));
        break;
    }
  }

  #onResults(thread: Thread, message: unknown[]): void {
    this.#barrenDeaths = 0;
    for (let i = 1; i < message.length; i += 3) {
      const seq = message[i] as number;
      const job = thread.jobs[slotOf(seq)];
      if (job === undefined || job.seq !== seq) continue;
      this.#release(thread, job);
      thread.settledStarted++;
      if (message[i + 1]) this.#resolve(job, message[i + 2]);
      else this.#reject(job, receiveError(message[i + 2]));
    }
    // Top up a busy worker once it is down to half its share, so a stream
    // of small tasks costs a fraction of a message each.
    if (this.#queued > 0 && thread.held * 2 <= this.#fairShare()) {
      this.#feed(thread);
    } else {
      this.#settleIdle(thread);
    }
    this.#maybeFinishClose();
  }

  #release(thread: Thread, job: Job): void {
    thread.jobs[slotOf(job.seq)] = undefined;
    thread.outstanding--;
    job.thread = undefined;
  }

  // Puts a worker that has nothing left on the idle list, unless there is
  // work for it: in the queue, or sent ahead to a worker stuck in a task.
  #settleIdle(thread: Thread): void {
    if (thread.outstanding !== 0 || thread.idle || thread.retired) return;
    if (this.#queued === 0) this.#steal();
    if (this.#queued > 0) {
      this.#feed(thread);
      return;
    }
    thread.idle = true;
    this.#idle.push(thread);
    if (this.#idleTimeoutMs !== Infinity && !this.#closing) {
      thread.idleTimer = new LongTimeout(
        () => this.#retire(thread),
        this.#idleTimeoutMs,
      );
    }
  }

  // asio's idle threads take the next handler from the shared queue; here
  // tasks sent ahead wait in a worker's own batch. So a worker going idle
  // takes back unstarted tasks from the worker holding the most (newest
  // first, one compare-and-swap each) and puts them at the front of the
  // queue: half of them, rounded up if that worker is running a task (they
  // may wait long behind it), rounded down if not. A robbed worker always
  // keeps a task, so it never turns idle by being robbed, and two workers
  // cannot pass tasks back and forth.
  #steal(): void {
    let victim: Thread | undefined;
    let most = 0;
    for (const thread of this.#threads) {
      const held = thread.held;
      const take = thread.running > 0 ? Math.ceil(held / 2) : held >> 1;
      if (take > most) {
        most = take;
        victim = thread;
      }
    }
    if (victim === undefined) return;
    const stolen: Job[] = [];
    let want = most;
    for (let i = 1; i <= RING_SIZE && want > 0; i++) {
      const seq = victim.nextSeq - i;
      const job = victim.jobs[slotOf(seq)];
      if (job === undefined || job.seq !== seq) continue;
      if (job.transfer !== undefined) continue; // its buffers are gone
      if (!victim.claims.revoke(seq)) break; // it and all before it started
      this.#release(victim, job);
      stolen.push(job);
      want--;
    }
    this.#requeue(stolen.reverse());
  }

  // Puts tasks taken back from a worker at the front of the queue.
  #requeue(jobs: Job[]): void {
    if (jobs.length === 0) return;
    this.#queue.splice(this.#head, 0, ...jobs);
    this.#queued += jobs.length;
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#queued > 0 && !this.#pumpScheduled) {
      this.#pumpScheduled = true;
      queueMicrotask(this.#pump);
    }
  }

  #abort(job: Job, reason: unknown): void {
    if (job.done) return;
    const thread = job.thread;
    if (thread === undefined) {
      this.#queued--; // still in the queue: #dequeue skips it
      this.#reject(job, reason);
    } else if (thread.claims.revoke(job.seq)) {
      this.#release(thread, job);
      this.#reject(job, reason);
      this.#settleIdle(thread);
    } else {
      this.#release(thread, job);
      this.#reject(job, reason);
      this.#replace(thread, reason);
    }
    this.#maybeFinishClose();
  }

  #crash(thread: Thread, cause: unknown): void {
    this.#crashed++;
    this.#replace(thread, cause);
  }

  // Ends a worker that died or must die: its started tasks fail, the others
  // go back to the front of the queue.
  #replace(thread: Thread, cause: unknown): void {
    const started = thread.claims.started > 0;
    const requeue: Job[] = [];
    for (const job of this.#retire(thread)) {
      if (job.transfer === undefined && thread.claims.revoke(job.seq)) {
        requeue.push(job);
      } else {
        this.#reject(
          job,
          new WorkerCrashedError(
            `Worker ${thread.id} of thread pool '${this.#name}' died while running task '${job.name}'`,
            { cause },
          ),
        );
      }
    }
    if (started) {
      this.#barrenDeaths = 0;
    } else if (++this.#barrenDeaths >= BARREN_DEATHS_LIMIT) {
      this.#barrenDeaths = 0;
      const limit = BARREN_DEATHS_LIMIT;
      const error = () =>
        new WorkerCrashedError(
          `Cannot run the task as ${limit} workers of thread pool '${this.#name}' in a row died before starting any task`,
          { cause },
        );
      for (const job of requeue) this.#reject(job, error());
      this.#drainQueue(error);
      requeue.length = 0;
    }
    this.#requeue(requeue);
    this.#schedulePump();
    this.#maybeFinishClose();
  }

  // Terminates a worker and returns the unsettled tasks it held.
  #retire(thread: Thread): Job[] {
    thread.retired = true;
    thread.worker.terminate();
    this.#threads.delete(thread);
    if (thread.idle) {
      this.#idle.splice(this.#idle.indexOf(thread), 1);
      thread.idle = false;
    }
    thread.idleTimer?.clear();
    const held: Job[] = [];
    for (let i = 0; i < RING_SIZE && thread.outstanding > 0; i++) {
      const job = thread.jobs[slotOf(thread.nextSeq - 1 - i)];
      if (job === undefined) continue;
      this.#release(thread, job);
      held.push(job);
    }
    return held.reverse();
  }

  #onLoadFailed(cause: unknown): void {
    if (this.#loadError !== undefined) return;
    this.#loadError = cause;
    for (const thread of [...this.#threads]) {
      for (const job of this.#retire(thread)) {
        this.#reject(job, this.#loadFailure(job.name));
      }
    }
    this.#drainQueue((job) => this.#loadFailure(job.name));
    this.#maybeFinishClose();
  }

  #loadFailure(name: string): Error {
    const cause = this.#loadError;
    return new Error(
      `Cannot run task '${name}' as the task module '${this.#module.href}' of thread pool '${this.#name}' failed to load: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }

  #drainQueue(reason: (job: Job) => unknown): void {
    for (let job = this.#dequeue(); job; job = this.#dequeue()) {
      this.#reject(job, reason(job));
    }
  }

  #resolve(job: Job, value: unknown): void {
    if (!this.#settle(job)) return;
    this.#completed++;
    job.resolve(value);
  }

  #reject(job: Job, reason: unknown): void {
    if (!this.#settle(job)) return;
    this.#failed++;
    job.resolve(rejecting(reason));
  }

  // Marks a task settled; false if it already was.
  #settle(job: Job): boolean {
    if (job.done) return false;
    job.done = true;
    this.#unsettled--;
    const extras = job.extras;
    if (extras === undefined) return true;
    extras.timer?.clear();
    if (extras.onAbort) {
      extras.signal!.removeEventListener("abort", extras.onAbort);
    }
    return true;
  }

  #maybeFinishClose(): void {
    if (!this.#closing || this.#unsettled > 0 || this.#closed === undefined) {
      return;
    }
    for (const thread of [...this.#threads]) this.#retire(thread);
    this.#closed.resolve();
  }
}
