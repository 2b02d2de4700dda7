// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode Task}: QEMU's `QIOTask` for Deno and Bun. A task runs one piece
 * of work — blocking work in a {@linkcode ThreadPool} worker, or an
 * asynchronous operation on this thread — and then delivers exactly one
 * completion callback back on the thread that owns it.
 *
 * Guarantees:
 * - **Exactly once.** The callback runs once, whether the work succeeded,
 *   threw, its worker crashed, or the task's `signal` aborted. Every later
 *   attempt to start or complete the task throws instead of running anything
 *   twice.
 * - **Where it runs.** The work of {@linkcode Task.runInThread} runs in a
 *   pool worker. The callback never does: it runs on the task's
 *   {@linkcode Executor} when one was given (it is that executor's
 *   outstanding work until then, so `run()` waits for it), otherwise on the
 *   event loop of the thread that created the task, in a microtask: never
 *   inside the call that ended the work (an `abort()`, a start with an
 *   aborted signal). Only a direct `complete()` runs it at once.
 * - **Abort.** Aborting the `signal` of a started task completes it at once
 *   with the signal's reason (a `DOMException` named "AbortError" unless
 *   another reason was given), and a task whose signal is already aborted
 *   when it starts completes without starting its work. The work is aborted
 *   too: the signal given to a
 *   {@linkcode Task.run} operation is aborted, and a pool task is removed
 *   from the queue or has its worker replaced. What the work does after that
 *   is ignored.
 * - **Throw.** An error thrown by the work (or a `WorkerCrashedError`) is the
 *   task's error, read with {@linkcode Task.propagateError}. An error thrown
 *   by the callback itself goes where a callback's error goes on its thread:
 *   with an executor, that executor's `run()` rejects with it; without, it is
 *   reported as an uncaught error (`reportError`), like a throwing
 *   `setTimeout` callback — or, for a direct `complete()` call, thrown to
 *   its caller. `wait()` resolves either way.
 *
 * @example Work in a worker, callback on an executor
 * ```ts
 * import { Executor, Task, ThreadPool } from "@iox/iox";
 * import assert from "node:assert/strict";
 *
 * const source = `export function square(x) { return x * x; }`;
 * const url = `data:text/javascript,${encodeURIComponent(source)}`;
 * await using pool = new ThreadPool(url, { threads: 1 });
 * const executor = new Executor();
 * const seen: number[] = [];
 * const task = new Task<number>("squarer", (t) => {
 *   assert.equal(t.propagateError(), undefined);
 *   seen.push(t.result!);
 * }, { executor });
 * task.runInThread(pool, "square", [7]);
 * assert.equal(await executor.run(), 1);
 * assert.deepEqual(seen, [49]);
 * ```
 *
 * @module
 */
import { assertExecutor, internals } from "./executor/_internals.ts";
import {
  argumentError,
  notAFunction,
  notAnAbortSignal,
  notAnArray,
  notAString,
  optionsObject,
} from "./_util/validate.ts";
import type { Executor } from "./executor/executor.ts";
import { ThreadPool, type ThreadPoolRunOptions } from "./pool/thread_pool.ts";

/**
 * The completion callback of a {@linkcode Task}: it reads the outcome with
 * {@linkcode Task.propagateError} and {@linkcode Task.result}.
 *
 * @typeParam T The type of the task's result.
 */
export type TaskCallback<T> = (task: Task<T>) => void;

/** Options for {@linkcode Task}. */
export interface TaskOptions {
  /**
   * Where the callback runs: posted to this executor, and counted as its
   * outstanding work from the moment the work starts until the callback ran.
   * Without one the callback runs on the event loop of the thread that
   * created the task, as soon as the work ends.
   *
   * @default {undefined}
   */
  executor?: Executor;
  /**
   * Aborts the task: it completes at once with the signal's reason as its
   * error, and its work is aborted.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Options for {@linkcode Task.prototype.runInThread}: those of
 * `ThreadPool.run` (`transfer`, `timeoutMs`, `priority`), passed on as they
 * are, except `signal`, which is the task's own (see {@linkcode TaskOptions}).
 */
export type TaskRunInThreadOptions = Omit<ThreadPoolRunOptions, "signal">;

const IDLE = 0;
const RUNNING = 1;
const COMPLETING = 2;
const COMPLETED = 3;
// Handed to work that has no signal to follow; nothing ever aborts it.
const NEVER_ABORTED = new AbortController().signal;

type State =
  | typeof IDLE
  | typeof RUNNING
  | typeof COMPLETING
  | typeof COMPLETED;

/**
 * One unit of work and its single completion callback, as QEMU's `QIOTask`.
 *
 * Start it with {@linkcode Task.runInThread} (blocking work in a pool
 * worker), {@linkcode Task.run} (an asynchronous operation on this thread),
 * or finish it yourself with {@linkcode Task.setResult} /
 * {@linkcode Task.setError} and {@linkcode Task.complete}.
 *
 * @typeParam T The type of the task's result.
 *
 * @example Async work on this thread
 * ```ts
 * import { Task } from "@iox/iox/task";
 * import assert from "node:assert/strict";
 *
 * const task = new Task<string>("greeter", (t) => {
 *   assert.equal(t.result, "hello");
 * });
 * task.run(async () => "hello");
 * await task.wait();
 * assert.ok(task.completed);
 * ```
 */
export class Task<T = unknown> {
  #source: unknown;
  #callback: TaskCallback<T>;
  #executor: Executor | undefined;
  #signal: AbortSignal | undefined;
  #state: State = IDLE;
  #error: unknown = undefined;
  #result: T | undefined = undefined;
  #waiters: PromiseWithResolvers<void> | undefined;
  // The error as it was when the task completed, for outcome().
  #finalError: unknown = undefined;
  #onAbort: (() => void) | undefined;

  /**
   * Creates a task; nothing runs until it is started or completed.
   *
   * @param source What the task is about (a socket, a request); handed back
   * by {@linkcode Task.source}.
   * @param callback Called exactly once when the task completes.
   * @param options Where the callback runs, and an abort signal.
   * @throws {TypeError} If `callback` is not a function, `executor` is not
   * an {@linkcode Executor}, or `signal` is not an `AbortSignal`.
   */
  constructor(
    source: unknown,
    callback: TaskCallback<T>,
    options?: TaskOptions,
  ) {
    if (typeof callback !== "function") {
      throw notAFunction("Cannot create task as 'callback'", callback);
    }
    const { executor, signal } = optionsObject(options, "create task");
    if (executor !== undefined) {
      assertExecutor(executor, "Cannot create task as 'executor'");
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw notAnAbortSignal("Cannot create task as 'signal'", signal);
    }
    this.#source = source;
    this.#callback = callback;
    this.#executor = executor;
    this.#signal = signal;
  }

  /**
   * What the task is about, as given to the constructor.
   *
   * @returns The task's source.
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const socket = { id: 1 };
   * assert.equal(new Task(socket, () => {}).source, socket);
   * ```
   */
  get source(): unknown {
    return this.#source;
  }

  /**
   * Whether the callback has run (or is running).
   *
   * @returns `true` once the callback was called.
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const task = new Task(null, () => {});
   * assert.equal(task.completed, false);
   * task.complete();
   * assert.equal(task.completed, true);
   * ```
   */
  get completed(): boolean {
    return this.#state === COMPLETED;
  }

  /**
   * The task's error, if it has one: the first one set, until
   * {@linkcode Task.propagateError} moved it out.
   *
   * @returns The error, or `undefined`.
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const task = new Task(null, () => {});
   * const failure = new Error("refused");
   * task.setError(failure);
   * assert.equal(task.error, failure);
   * ```
   */
  get error(): unknown {
    return this.#error;
  }

  /**
   * The task's result: the value its work produced, or what
   * {@linkcode Task.setResult} set.
   *
   * @returns The result, or `undefined` when there is none (yet).
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const task = new Task<number>(null, () => {});
   * task.setResult(42);
   * assert.equal(task.result, 42);
   * ```
   */
  get result(): T | undefined {
    return this.#result;
  }

  /**
   * Sets the task's result.
   *
   * @param value The result.
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const task = new Task<string>(null, (t) => assert.equal(t.result, "ok"));
   * task.setResult("ok");
   * task.complete();
   * ```
   */
  setResult(value: T): void {
    this.#result = value;
  }

  /**
   * Records an error. The first error wins: later ones are ignored until
   * {@linkcode Task.propagateError} moved it out, as in QEMU's
   * `qio_task_set_error`. `undefined` is no error and is ignored (as a NULL
   * error is in QEMU).
   *
   * @param error The error.
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const task = new Task(null, () => {});
   * const first = new Error("first");
   * task.setError(first);
   * task.setError(new Error("second"));
   * assert.equal(task.error, first);
   * ```
   */
  setError(error: unknown): void {
    // `undefined` is never stored, so it also marks a free slot.
    if (this.#error === undefined) this.#error = error;
  }

  /**
   * Moves the error out of the task: returns it once, then `undefined`.
   *
   * @returns The task's error, or `undefined` when it has none (or it was
   * already propagated).
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const task = new Task(null, () => {});
   * const failure = new Error("refused");
   * task.setError(failure);
   * assert.equal(task.propagateError(), failure);
   * assert.equal(task.propagateError(), undefined);
   * ```
   */
  propagateError(): unknown {
    const error = this.#error;
    this.#error = undefined;
    return error;
  }

  /**
   * Runs `name` from `pool`'s task module in a worker. When it ends, its
   * value becomes the task's result (or its error the task's error: the
   * task's own error, a `WorkerCrashedError`, a `PoolClosedError`) and the
   * callback runs on this thread — on the executor, if the task has one.
   *
   * @param pool The pool whose worker runs the work.
   * @param name The exported function of the pool's module to call.
   * @param args Its arguments, structured-cloned into the worker; none by
   * default.
   * @param options Passed on to `pool.run`: `transfer`, `timeoutMs`,
   * `priority`. The task's `signal` aborts the work.
   * @throws {TypeError} If `pool` is not a {@linkcode ThreadPool}, `name` is
   * not a string, `args` not an array or `options` not an object. The pool
   * checks the options' fields: the task then completes with its error.
   * @throws {Error} If the task was already started or completed.
   *
   * @example Usage
   * ```ts
   * import { Task, ThreadPool } from "@iox/iox";
   * import assert from "node:assert/strict";
   *
   * const source = `export function add(a, b) { return a + b; }`;
   * const url = `data:text/javascript,${encodeURIComponent(source)}`;
   * await using pool = new ThreadPool(url, { threads: 1 });
   * const task = new Task<number>(null, () => {});
   * task.runInThread(pool, "add", [2, 3]);
   * await task.wait();
   * assert.equal(task.result, 5);
   * ```
   */
  runInThread(
    pool: ThreadPool,
    name: string,
    args?: unknown[],
    options?: TaskRunInThreadOptions,
  ): void {
    if (!(pool instanceof ThreadPool)) {
      throw argumentError(
        "Cannot run task in a thread as 'pool'",
        "a ThreadPool",
        pool,
      );
    }
    if (typeof name !== "string") {
      throw notAString("Cannot run task in a thread as 'name'", name);
    }
    if (args !== undefined && !Array.isArray(args)) {
      throw notAnArray("Cannot run task in a thread as 'args'", args);
    }
    const runOptions: ThreadPoolRunOptions = {
      ...optionsObject(options, "run task in a thread"),
    };
    const signal = this.#start("run task in a thread");
    if (signal === undefined) return;
    if (signal !== NEVER_ABORTED) runOptions.signal = signal;
    let promise: Promise<T>;
    try {
      promise = pool.run<T>(name, args ?? [], runOptions);
    } catch (error) {
      promise = Promise.reject(error);
    }
    this.#settleWith(promise);
  }

  /**
   * Runs an asynchronous operation on this thread (a connect, a handshake).
   * It is given an `AbortSignal` that aborts when the task's signal does.
   * When its promise settles, the value becomes the task's result (or the
   * rejection its error) and the callback runs.
   *
   * @param op The operation.
   * @throws {TypeError} If `op` is not a function.
   * @throws {Error} If the task was already started or completed.
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const task = new Task<number>(null, () => {});
   * task.run(() => Promise.reject(new Error("refused")));
   * await task.wait();
   * assert.equal((task.propagateError() as Error).message, "refused");
   * ```
   */
  run(op: (signal: AbortSignal) => Promise<T>): void {
    if (typeof op !== "function") {
      throw notAFunction("Cannot run task as 'op'", op);
    }
    const signal = this.#start("run task");
    if (signal === undefined) return;
    let promise: Promise<T>;
    try {
      promise = Promise.resolve(op(signal));
    } catch (error) {
      promise = Promise.reject(error);
    }
    this.#settleWith(promise);
  }

  /**
   * Completes the task now: the callback runs at once on this thread, or is
   * posted to the task's executor. Use it for a task whose outcome was set
   * by hand with {@linkcode Task.setResult} / {@linkcode Task.setError}; a
   * started task completes by itself, when its work ends or its signal
   * aborts.
   *
   * @throws {Error} If the task was already started or completed.
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * let calls = 0;
   * const task = new Task(null, () => calls++);
   * task.complete();
   * assert.equal(calls, 1);
   * assert.throws(() => task.complete(), Error);
   * assert.equal(calls, 1);
   * ```
   */
  complete(): void {
    if (this.#state === RUNNING) {
      throw new Error(
        "Cannot complete task as it was started: it completes when its work ends",
      );
    }
    if (this.#state !== IDLE) {
      throw new Error("Cannot complete task as it is already completed");
    }
    this.#finish(false);
  }

  /**
   * Waits for the callback to have run.
   *
   * @returns A promise that resolves after the callback ran (even if it
   * threw).
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const order: string[] = [];
   * const task = new Task(null, () => order.push("callback"));
   * task.run(async () => undefined);
   * await task.wait();
   * order.push("after wait");
   * assert.deepEqual(order, ["callback", "after wait"]);
   * ```
   */
  wait(): Promise<void> {
    if (this.#state === COMPLETED) return Promise.resolve();
    this.#waiters ??= Promise.withResolvers<void>();
    return this.#waiters.promise;
  }

  /**
   * Waits for the callback to have run, then gives the task's outcome: its
   * result, or its error as it was when the task completed, whether or not
   * the callback moved it out with {@linkcode Task.propagateError}. For
   * code that awaits a task instead of (or besides) reading it in the
   * callback; {@linkcode Task.wait} stays the way to wait without the
   * outcome.
   *
   * @returns A promise that resolves with {@linkcode Task.result} after the
   * callback ran, or rejects with the task's error.
   * @throws {unknown} Rejects with the task's error: the work's error, a
   * `WorkerCrashedError`, the signal's reason, or what
   * {@linkcode Task.setError} set.
   *
   * @example Usage
   * ```ts
   * import { Task } from "@iox/iox/task";
   * import assert from "node:assert/strict";
   *
   * const ok = new Task<number>(null, () => {});
   * ok.run(async () => 42);
   * assert.equal(await ok.outcome(), 42);
   *
   * const failed = new Task(null, (t) => {
   *   t.propagateError(); // handled here, still given to outcome()
   * });
   * failed.run(() => Promise.reject(new Error("refused")));
   * await assert.rejects(failed.outcome(), { message: "refused" });
   * ```
   */
  outcome(): Promise<T> {
    return this.wait().then(() => {
      if (this.#finalError !== undefined) throw this.#finalError;
      return this.#result as T;
    });
  }

  /** Moves to RUNNING; returns the work's signal, or undefined if aborted. */
  #start(what: string): AbortSignal | undefined {
    if (this.#state !== IDLE) {
      throw new Error(
        `Cannot ${what} as it was already ${
          this.#state === RUNNING ? "started" : "completed"
        }`,
      );
    }
    this.#state = RUNNING;
    if (this.#executor !== undefined) {
      // The pending callback is the executor's outstanding work, as a
      // pending operation is an io_context's: its run() waits for it.
      internals.workStarted(this.#executor);
    }
    const signal = this.#signal;
    if (signal === undefined) return NEVER_ABORTED;
    if (signal.aborted) {
      this.#abort();
      return undefined;
    }
    this.#onAbort = () => this.#abort();
    signal.addEventListener("abort", this.#onAbort, { once: true });
    return signal;
  }

  #abort(): void {
    this.setError(this.#signal!.reason);
    this.#finish(true);
  }

  #settleWith(promise: Promise<T>): void {
    promise.then(
      (value) => {
        if (this.#state !== RUNNING) return;
        this.#result = value;
        this.#finish(true);
      },
      (error: unknown) => {
        if (this.#state !== RUNNING) return;
        // A rejection without a reason is still a failure: never let it
        // read as a success with no result.
        this.setError(
          error === undefined
            ? new Error("The task's work failed without a reason (undefined)")
            : error,
        );
        this.#finish(true);
      },
    );
  }

  /**
   * Decides the outcome; the callback runs now or on the executor.
   * `started`: the task ran work (else `complete()` finished it unstarted),
   * so it counts as the executor's work, and a throwing callback without an
   * executor is reported instead of thrown to a caller.
   */
  #finish(started: boolean): void {
    this.#state = COMPLETING;
    this.#finalError = this.#error;
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener("abort", this.#onAbort);
    }
    if (this.#executor === undefined) {
      // Never inside the call that ended the work (an abort(), or a start
      // with an aborted signal): as its other completions, in a microtask.
      if (started) queueMicrotask(() => this.#deliver(true));
      else this.#deliver(false);
      return;
    }
    // Queued before the work is released, so a waiting run() never sees
    // the executor without work in between.
    this.#executor.post(() => this.#deliver(false));
    if (started) internals.workFinished(this.#executor);
  }

  #deliver(report: boolean): void {
    this.#state = COMPLETED;
    try {
      this.#callback(this);
    } catch (error) {
      if (!report) throw error;
      reportError(error);
    } finally {
      this.#waiters?.resolve();
    }
  }
}
