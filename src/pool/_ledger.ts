// Copyright 2026 the iox authors. MIT license.
// A pool's accounts of its jobs: the one place a job settles (exactly
// once, whatever ended it), the counts, and the timings behind
// `stats.waitTime`, `stats.runTime` and `stats.utilization`.
import { type DurationStats, Histogram } from "./_histogram.ts";
import type { Job } from "./_job.ts";

// A thenable that rejects with `reason`: resolving a promise with it
// rejects that promise (one microtask later), so a job needs no reject
// function: a third less memory per queued task.
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

/** What {@linkcode Ledger.timings} reports. */
export interface Timings {
  waitTime: DurationStats;
  runTime: DurationStats;
  utilization: number;
}

/** Counts jobs and settles them. */
export class Ledger {
  /** Jobs accepted and not settled. */
  unsettled = 0;
  /** Jobs that fulfilled. */
  completed = 0;
  /** Jobs that rejected. */
  failed = 0;
  #waitTime = new Histogram();
  #runTime = new Histogram();
  #busyMs = 0;
  readonly #startedAt = performance.now();

  /** A job was accepted. */
  opened(): void {
    this.unsettled++;
  }

  /**
   * A job ran for `runMs` in its worker; its result arrived at
   * `receivedAt` (`performance.now()`).
   */
  ran(job: Job, runMs: number, receivedAt: number): void {
    this.#runTime.record(runMs);
    this.#waitTime.record(receivedAt - job.queued.at - runMs);
    this.#busyMs += runMs;
  }

  /** Fulfils `job` with `value`, unless it is settled. */
  resolve(job: Job, value: unknown): void {
    if (!this.#settle(job)) return;
    this.completed++;
    job.resolve(value);
  }

  /** Rejects `job` with `reason`, unless it is settled. */
  reject(job: Job, reason: unknown): void {
    if (!this.#settle(job)) return;
    this.failed++;
    job.resolve(rejecting(reason));
  }

  /** The wait and run times so far, and utilization of `threads` threads. */
  timings(threads: number): Timings {
    const elapsed = performance.now() - this.#startedAt;
    return {
      waitTime: this.#waitTime.summary(),
      runTime: this.#runTime.summary(),
      utilization: elapsed > 0
        ? Math.min(1, this.#busyMs / (threads * elapsed))
        : 0,
    };
  }

  // Marks a job settled and drops its timer and abort listener; false if
  // it already was.
  #settle(job: Job): boolean {
    if (job.done) return false;
    job.done = true;
    this.unsettled--;
    const extras = job.extras;
    if (extras === undefined) return true;
    extras.timer?.clear();
    if (extras.onAbort) {
      extras.signal!.removeEventListener("abort", extras.onAbort);
    }
    return true;
  }
}
