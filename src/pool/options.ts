// Copyright 2026 the iox authors. MIT license.
// The option and stats types of ThreadPool (thread_pool.ts).
import type { DurationStats } from "./_histogram.ts";

/** Options for {@linkcode ThreadPool}. */
export interface ThreadPoolOptions {
  /**
   * The most workers the pool runs at once. Workers start on demand.
   *
   * @default {Math.max(navigator.hardwareConcurrency, minThreads)}
   */
  threads?: number;
  /**
   * Workers started at construction and kept, however long they idle
   * (`idleTimeoutMs` ends only the ones beyond them); one that dies is
   * replaced. At most `threads`.
   *
   * @default {0}
   */
  minThreads?: number;
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
   * How long (ms) a worker with nothing to do lives before it exits (unless
   * it is one of `minThreads`); it is started again on demand.
   *
   * @default {Infinity}
   */
  idleTimeoutMs?: number;
  /**
   * The deadline (ms) of every task that does not give its own `timeoutMs`,
   * counted from the call to `run`. Streams have none.
   *
   * @default {Infinity}
   */
  taskTimeoutMs?: number;
  /**
   * A worker is replaced, between tasks, after running this many: a bound
   * on what leaky task code can accumulate.
   *
   * @default {Infinity}
   */
  maxTasksPerWorker?: number;
  /**
   * Structured-cloneable data given to each worker: if the task module
   * exports `setup(workerData)`, each worker awaits it once before its
   * first task. A `setup` that throws rejects the tasks given to that
   * worker with `WorkerCrashedError` (its `cause` is the setup's error) and
   * the next worker starts only after a wait that doubles each time, from
   * `SETUP_RETRY_MS` up to `SETUP_RETRY_MAX_MS`.
   *
   * @default {undefined}
   */
  workerData?: unknown;
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
  /**
   * A finite number: tasks of higher priority start first; tasks of equal
   * priority start in the order they were submitted.
   *
   * @default {0}
   */
  priority?: number;
}

/** Options for {@linkcode ThreadPool.prototype.run}. */
export interface ThreadPoolRunOptions extends ThreadPoolMapOptions {
  /**
   * Objects in `args` to transfer to the worker instead of copying them
   * (`ArrayBuffer`s, `MessagePort`s...). They are detached here once the
   * task is sent, so such a task cannot be sent twice: it is sent only to a
   * free worker, and if its worker dies before it starts, it rejects with
   * {@linkcode WorkerCrashedError}.
   *
   * @default {[]}
   */
  transfer?: Transferable[];
}

/** Options for {@linkcode ThreadPool.prototype.stream}. */
export interface ThreadPoolStreamOptions {
  /**
   * Stops the generator (its `finally` blocks run in the worker) and
   * errors the stream with the signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Objects in `args` to transfer to the worker instead of copying them,
   * as for {@linkcode ThreadPoolRunOptions.transfer}.
   *
   * @default {[]}
   */
  transfer?: Transferable[];
  /**
   * As for {@linkcode ThreadPoolMapOptions.priority}.
   *
   * @default {0}
   */
  priority?: number;
  /**
   * The most values waiting in the stream's queue: the generator is not
   * resumed while that many are unread.
   *
   * @default {STREAM_HIGH_WATER_MARK}
   */
  highWaterMark?: number;
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
  /**
   * How long tasks waited, from `run` until they started, over every task
   * that ran since the pool was created (a fixed-size histogram: exact
   * count, mean and max; percentiles within about 3%).
   */
  waitTime: DurationStats;
  /** How long tasks ran, in the worker, as for `waitTime`. */
  runTime: DurationStats;
  /**
   * Busy time over capacity since the pool was created: the run times of
   * the tasks that ended, divided by `threads` × the time elapsed (0..1).
   */
  utilization: number;
}

/** The `detail` of a pool's "workerstart" and "workerexit" events. */
export interface ThreadPoolWorkerEventDetail {
  /** The pool's number for the worker, from 1. */
  threadId: number;
  /**
   * Why a worker ended when the pool did not choose it (its error, the
   * abort reason or timeout of the task it was running, its setup's error);
   * absent after an idle timeout, `maxTasksPerWorker`, close or terminate.
   */
  reason?: unknown;
}

/** The events of a pool, by type, for its typed `addEventListener`. */
export interface ThreadPoolEventMap {
  /** A worker is ready: its module loaded and its `setup` returned. */
  workerstart: CustomEvent<ThreadPoolWorkerEventDetail>;
  /** A worker ended. */
  workerexit: CustomEvent<ThreadPoolWorkerEventDetail>;
  /** The tasks that had to wait for a thread have all started. */
  drain: Event;
}
