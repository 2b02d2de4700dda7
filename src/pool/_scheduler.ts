// Copyright 2026 the iox authors. MIT license.
// Which worker runs which job: the pool's queue, its workers, and the
// scheduling pass. The pool (thread_pool.ts) decides what may run and how
// jobs settle; this decides where and when they run.
//
// The guarantee, as asio's scheduler: while a job waits and fewer than
// `threads` workers are busy, a free worker takes it promptly. One pass
// (`#pass`, in a microtask after any change, never re-entered):
//
// 1. Every free thread takes one waiting job: an idle worker, or a new one
//    while fewer than `threads` run (and no failing `setup` makes new ones
//    wait). If the queue is empty, a free thread takes back half of the
//    unstarted jobs of the busy worker holding the most (`#steal`), so a
//    job never waits behind a long (or never-settling) one while a thread
//    is free.
// 2. Only when no thread is free are the jobs still waiting sent ahead to
//    the busy workers, a fair share each (an equal part of all the waiting
//    jobs, at most MAX_BATCH), so that one message carries many small
//    jobs. A worker is topped up once it is down to half its share. A job
//    sent ahead waits only while every thread is busy: the first to be
//    free takes it back (step 1). A job that transfers buffers is never
//    sent ahead: it could not be taken back.
// Priority orders the queue. Before all this, if a job waits with a higher
// priority than some sent ahead, those are taken back (`#preempt`).
import type { Job, Stamp } from "./_job.ts";
import { JobQueue } from "./_job_queue.ts";
import { MAX_BATCH, RING_SIZE } from "./_protocol.ts";
import type { PoolWorker } from "./_worker.ts";
import { LongTimeout } from "../_util/long_timeout.ts";

/**
 * The first wait (ms) before a worker replaces one whose `setup` threw; it
 * doubles with each failure in a row, up to {@linkcode SETUP_RETRY_MAX_MS}.
 *
 * @example Usage
 * ```ts
 * import { SETUP_RETRY_MAX_MS, SETUP_RETRY_MS } from "@iox/iox/thread-pool";
 * import assert from "node:assert/strict";
 *
 * assert.ok(SETUP_RETRY_MS > 0 && SETUP_RETRY_MS < SETUP_RETRY_MAX_MS);
 * ```
 */
export const SETUP_RETRY_MS = 50;
/**
 * The longest wait (ms) between two attempts to start a worker whose
 * `setup` keeps throwing.
 *
 * @example Usage
 * ```ts
 * import { SETUP_RETRY_MAX_MS } from "@iox/iox/thread-pool";
 * import assert from "node:assert/strict";
 *
 * assert.ok(SETUP_RETRY_MAX_MS >= 1000);
 * ```
 */
export const SETUP_RETRY_MAX_MS = 5_000;

/** What the scheduler needs from its pool. */
export interface SchedulerHost {
  /** Starts a worker (not yet counted). */
  spawn(): PoolWorker;
  /** `spawn` threw (no workers on this runtime): no job can run. */
  spawnFailed(error: unknown): void;
  /** A job could not be sent: reject it with `error`. */
  unsendable(job: Job, error: unknown): void;
  /** A worker was retired: `reason` is set if it did not end by choice. */
  retired(worker: PoolWorker, reason: unknown): void;
  /** Every job that had to wait for a thread has started. */
  drained(): void;
  /** A pass ended. */
  passed(): void;
}

/** The numbers that bound a pool's workers. */
export interface SchedulerLimits {
  maxThreads: number;
  minThreads: number;
  maxTasksPerWorker: number;
  idleTimeoutMs: number;
}

// How many of a busy worker's unstarted jobs another may take: half,
// rounded up if it is running one (they may wait long behind it), down if
// not. A robbed worker keeps a job, so two free workers cannot pass jobs
// back and forth.
function takeable(worker: PoolWorker): number {
  const held = worker.held;
  return worker.running > 0 ? Math.ceil(held / 2) : held >> 1;
}

const noTransfer = (job: Job): boolean => job.transfer === undefined;

/** A pool's queue and workers, and the pass that matches them. */
export class Scheduler {
  /** Jobs not given to a worker. */
  readonly queue: JobQueue = new JobQueue();
  /** The live workers. */
  readonly workers: Set<PoolWorker> = new Set();
  readonly #idle: PoolWorker[] = [];
  readonly #limits: SchedulerLimits;
  readonly #host: SchedulerHost;
  #scheduled = false;
  // `performance.now()` as read once between passes (see `now`).
  #clock: Stamp | undefined = undefined;
  // The lowest priority of a job sent ahead (a bound: see #preempt).
  #lowestAhead = Infinity;
  // Jobs had to wait for a thread: the host is told once none does.
  #backlog = false;
  #setupFailures = 0;
  #respawnAt = 0;
  #respawnTimer: LongTimeout | undefined = undefined;
  // One timer for every idle worker, armed for the one idle longest: a
  // worker that goes idle and is taken again, as one task at a time does,
  // arms and clears no timer (under Deno that pair cost a round trip about
  // as much as the task itself).
  #idleTimer: LongTimeout | undefined = undefined;
  // Set on close, or when the module failed to load: no new worker.
  #stopping = false;
  #blocked = false;

  constructor(limits: SchedulerLimits, host: SchedulerHost) {
    this.#limits = limits;
    this.#host = host;
  }

  /** Starts the `minThreads` workers. */
  start(): void {
    this.#keepWarm();
  }

  /** Workers with nothing to do. */
  get idle(): number {
    return this.#idle.length;
  }

  /** Jobs running and sent ahead, from the workers' shared memory. */
  load(): { running: number; held: number } {
    let running = 0;
    let held = 0;
    for (const worker of this.workers) {
      running += worker.running;
      held += worker.held;
    }
    return { running, held };
  }

  /**
   * The time, read at most once between two passes: the jobs accepted in
   * one turn share it. On Deno a clock read costs about as much as
   * accepting a job.
   */
  now(): Stamp {
    return this.#clock ??= { at: performance.now() };
  }

  /** Adds a new job to the queue. */
  add(job: Job): void {
    this.queue.push(job);
    this.wake();
  }

  /** Schedules a pass. */
  wake(): void {
    if (this.#scheduled || this.#blocked) return;
    this.#scheduled = true;
    queueMicrotask(this.#pass);
  }

  /** A worker's results came in. */
  reported(worker: PoolWorker): void {
    this.freeIfEmpty(worker);
    if (this.queue.size > 0 || worker.idle) this.wake();
    this.#checkDrain();
  }

  /**
   * A busy worker that now holds nothing is freed: recycled after
   * `maxTasksPerWorker`, idle otherwise. Nothing for one that still holds
   * jobs or is idle already.
   */
  freeIfEmpty(worker: PoolWorker): void {
    if (worker.outstanding > 0 || worker.idle) return;
    if (worker.given >= this.#limits.maxTasksPerWorker) {
      this.retire(worker);
      this.wake();
    } else {
      this.#makeIdle(worker);
    }
  }

  /** Terminates a worker; returns the unsettled jobs it held. */
  retire(worker: PoolWorker, reason?: unknown): Job[] {
    const jobs = worker.retire();
    this.workers.delete(worker);
    if (worker.idle) {
      this.#idle.splice(this.#idle.indexOf(worker), 1);
      worker.idle = false;
      if (this.#idle.length === 0) {
        this.#idleTimer?.clear();
        this.#idleTimer = undefined;
      }
    }
    this.#host.retired(worker, reason);
    return jobs;
  }

  /** A worker's `setup` succeeded: new workers need not wait. */
  setupSucceeded(): void {
    this.#setupFailures = 0;
  }

  /** A worker's `setup` threw: the next one waits, longer each time. */
  setupFailed(): void {
    this.#setupFailures++;
    this.#respawnAt = performance.now() +
      Math.min(
        SETUP_RETRY_MAX_MS,
        SETUP_RETRY_MS * 2 ** (this.#setupFailures - 1),
      );
  }

  /**
   * No more warm workers or idle timers (`block` false, on close: the
   * accepted jobs still run, on new workers if need be), or no more passes
   * at all (`block` true: the module failed to load, or the pool closed).
   */
  stop(block: boolean): void {
    this.#stopping = true;
    this.#idleTimer?.clear();
    this.#idleTimer = undefined;
    if (!block) return;
    this.#blocked = true;
    this.#respawnTimer?.clear();
    this.#respawnTimer = undefined;
  }

  #pass = (): void => {
    this.#scheduled = false;
    this.#clock = undefined;
    if (this.#blocked) return;
    this.#keepWarm();
    if (this.#blocked) return;
    const queue = this.queue;
    const sending = new Set<PoolWorker>();
    if (queue.highestPriority > this.#lowestAhead) this.#preempt();
    // 1. Each free thread takes one job.
    while (queue.size > 0 || this.#stealable()) {
      const worker = this.#freeWorker();
      if (worker === undefined) break;
      if (queue.size === 0) this.#steal();
      const job = queue.shift();
      if (job === undefined) {
        this.#makeIdle(worker);
        break;
      }
      worker.give(job);
      sending.add(worker);
    }
    // 2. No thread is free: send the rest ahead, a fair share each.
    if (queue.size > 0) {
      this.#backlog = true;
      const share = this.#fairShare();
      for (const worker of this.workers) {
        if (worker.held * 2 > share) continue;
        let room = Math.min(
          share - worker.held,
          this.#limits.maxTasksPerWorker - worker.given,
        );
        for (; room > 0 && worker.hasRoom; room--) {
          const job = queue.peek();
          if (job === undefined || job.transfer !== undefined) break;
          queue.shift();
          worker.give(job);
          if (job.priority < this.#lowestAhead) {
            this.#lowestAhead = job.priority;
          }
          sending.add(worker);
        }
      }
    }
    for (const worker of sending) {
      for (const [job, error] of worker.send()) {
        this.#host.unsendable(job, error);
      }
      this.freeIfEmpty(worker);
    }
    this.#checkDrain();
    this.#host.passed();
  };

  // The most unstarted jobs one worker should hold: an equal part of all
  // the waiting work.
  #fairShare(): number {
    const waiting = this.queue.size + this.load().held;
    return Math.min(MAX_BATCH, Math.ceil(waiting / this.#limits.maxThreads));
  }

  // An idle worker, or a new one if fewer than `threads` run; undefined if
  // every thread is busy (or a failing setup makes new ones wait).
  #freeWorker(): PoolWorker | undefined {
    const worker = this.#idle.pop();
    if (worker !== undefined) {
      worker.idle = false;
      return worker;
    }
    if (this.workers.size >= this.#limits.maxThreads || !this.#maySpawn()) {
      return undefined;
    }
    return this.#spawn();
  }

  // False while a failing setup makes new workers wait their backoff; a
  // timer wakes the scheduler when it is over.
  #maySpawn(): boolean {
    if (this.#setupFailures === 0) return true;
    const wait = this.#respawnAt - performance.now();
    if (wait <= 0) return true;
    this.#respawnTimer ??= new LongTimeout(() => {
      this.#respawnTimer = undefined;
      this.wake();
    }, wait);
    return false;
  }

  #keepWarm(): void {
    while (
      !this.#stopping && this.workers.size < this.#limits.minThreads &&
      this.#maySpawn()
    ) {
      const worker = this.#spawn();
      if (worker === undefined) return;
      this.#makeIdle(worker);
    }
  }

  #spawn(): PoolWorker | undefined {
    let worker: PoolWorker;
    try {
      worker = this.#host.spawn();
    } catch (error) {
      this.#host.spawnFailed(error);
      return undefined;
    }
    this.workers.add(worker);
    return worker;
  }

  #stealable(): boolean {
    for (const worker of this.workers) if (takeable(worker) > 0) return true;
    return false;
  }

  // asio's idle threads take the next handler from the shared queue; here
  // jobs sent ahead wait in a worker's own batch, so a free worker takes
  // unstarted ones back from the worker holding the most (newest first)
  // and puts them at the front of the queue.
  #steal(): void {
    let victim: PoolWorker | undefined;
    let most = 0;
    for (const worker of this.workers) {
      const take = takeable(worker);
      if (take > most) {
        most = take;
        victim = worker;
      }
    }
    if (victim === undefined) return;
    this.queue.requeue(victim.takeBackUnstarted(most, noTransfer));
  }

  // A job of higher priority than some sent ahead waits: those take their
  // place in the queue again, so it starts first.
  #preempt(): void {
    const top = this.queue.highestPriority;
    let lowest = Infinity;
    for (const worker of this.workers) {
      this.queue.requeue(
        worker.takeBackUnstarted(
          RING_SIZE,
          (job) => job.priority < top && job.transfer === undefined,
        ),
      );
      this.freeIfEmpty(worker);
      for (const job of worker.heldJobs()) {
        lowest = Math.min(lowest, job.priority);
      }
    }
    this.#lowestAhead = lowest;
  }

  #makeIdle(worker: PoolWorker): void {
    worker.idle = true;
    worker.idleSince = performance.now();
    this.#idle.push(worker);
    this.#armIdleTimer();
  }

  // The idle list is a stack (the worker idle the shortest is taken first,
  // its thread the likeliest to be awake): its bottom has been idle longest.
  #armIdleTimer(): void {
    const { idleTimeoutMs, minThreads } = this.#limits;
    const oldest = this.#idle[0];
    if (
      this.#idleTimer !== undefined || oldest === undefined ||
      idleTimeoutMs === Infinity || this.#stopping ||
      this.workers.size <= minThreads
    ) return;
    this.#idleTimer = new LongTimeout(
      this.#retireIdle,
      oldest.idleSince + idleTimeoutMs - performance.now(),
    );
  }

  // Retires the workers idle for idleTimeoutMs, the longest idle first,
  // down to minThreads; then waits for the next one.
  #retireIdle = (): void => {
    this.#idleTimer = undefined;
    const { idleTimeoutMs, minThreads } = this.#limits;
    const now = performance.now();
    for (
      let oldest = this.#idle[0];
      oldest !== undefined && this.workers.size > minThreads &&
      oldest.idleSince + idleTimeoutMs <= now;
      oldest = this.#idle[0]
    ) this.retire(oldest);
    this.#armIdleTimer();
  };

  #checkDrain(): void {
    if (!this.#backlog || this.queue.size > 0) return;
    for (const worker of this.workers) if (worker.held > 0) return;
    this.#backlog = false;
    this.#host.drained();
  }
}
