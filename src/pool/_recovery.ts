// Copyright 2026 the iox authors. MIT license.
// How jobs end when things go wrong: an abort or timeout, a cancelled
// stream, a worker that dies, a setup that throws, a module that fails to
// load, a pool terminated. Every path ends in the Ledger (each job settles
// once) and the Scheduler (each worker retires once, handing its jobs back
// here).
import { WorkerCrashedError } from "../errors.ts";
import type { Job } from "./_job.ts";
import type { Ledger } from "./_ledger.ts";
import type { Scheduler } from "./_scheduler.ts";
import type { Death, PoolWorker } from "./_worker.ts";
import { messageOf } from "../_util/validate.ts";

const BARREN_DEATHS_LIMIT = 3;

/** What recovery works with. */
export interface RecoveryContext {
  /** The pool's name, for messages. */
  name: string;
  /** The task module's URL, for messages. */
  module: string;
  scheduler: Scheduler;
  ledger: Ledger;
  /** Some jobs settled: a pending close may be done. */
  settled(): void;
}

/** A pool's handling of aborts and failures. */
export class Recovery {
  /** Workers that died on their own. */
  crashed = 0;
  /** Why the task module failed to load, once it did. */
  loadError: unknown = undefined;
  #barrenDeaths = 0;
  readonly #context: RecoveryContext;

  constructor(context: RecoveryContext) {
    this.#context = context;
  }

  /** A worker reported results: it started tasks. */
  reported(): void {
    this.#barrenDeaths = 0;
  }

  /**
   * Aborts `job` (signal or timeout): dropped if it has not started;
   * started, its worker is replaced (a stream is asked to stop instead).
   */
  abort = (job: Job, reason: unknown): void => {
    if (job.done || this.#dropUnstarted(job, reason)) return;
    const worker = job.worker!;
    if (job.stream !== undefined) {
      job.stream.aborted = { reason };
      job.stream.controller.error(reason);
      worker.cancel(job);
      return;
    }
    this.#context.ledger.reject(job, reason);
    this.#replace(worker, reason);
  };

  /**
   * The reader cancelled stream `job`: dropped if it has not started, its
   * generator asked to stop if it has; resolves once its `finally` ran.
   */
  cancel(job: Job, reason: unknown): Promise<void> | undefined {
    const worker = job.worker;
    if (job.done || this.#dropUnstarted(job, reason)) return undefined;
    const sink = job.stream!;
    sink.settled ??= Promise.withResolvers<void>();
    worker!.cancel(job);
    return sink.settled.promise;
  }

  /** A worker died (`crash`) or its setup threw (`setup`). */
  died(worker: PoolWorker, cause: unknown, death: Death): void {
    const { scheduler, ledger, name } = this.#context;
    if (death === "crash") {
      this.crashed++;
      this.#replace(worker, cause);
      return;
    }
    // A failing setup is retried, each time after a longer wait.
    scheduler.setupFailed();
    for (const job of scheduler.retire(worker, cause)) {
      ledger.reject(
        job,
        new WorkerCrashedError(
          `Cannot run task '${job.label}' as the setup of worker ${worker.id} of thread pool '${name}' failed`,
          { cause },
        ),
      );
    }
    scheduler.wake();
    this.#context.settled();
  }

  /** The task module failed to load: every task, now and later, fails. */
  loadFailed(cause: unknown): void {
    if (this.loadError !== undefined) return;
    this.loadError = cause;
    this.#context.scheduler.stop(true);
    this.rejectAll((job) => this.loadFailure(job.label), cause);
  }

  /** The error of a task refused because the module failed to load. */
  loadFailure(task: string): Error {
    const cause = this.loadError;
    const { module, name } = this.#context;
    return new Error(
      `Cannot run task '${task}' as the task module '${module}' of thread pool '${name}' failed to load: ${
        messageOf(cause)
      }`,
      { cause },
    );
  }

  /**
   * Ends every job: retires every worker (`exitReason` is the one its
   * "workerexit" event carries) and rejects the jobs it held and those
   * queued, each with `reason(job)`.
   */
  rejectAll(reason: (job: Job) => unknown, exitReason?: unknown): void {
    const { scheduler, ledger } = this.#context;
    for (const worker of [...scheduler.workers]) {
      for (const job of scheduler.retire(worker, exitReason)) {
        ledger.reject(job, reason(job));
      }
    }
    this.#rejectQueued(reason);
    this.#context.settled();
  }

  // Rejects every queued job with `reason(job)`.
  #rejectQueued(reason: (job: Job) => unknown): void {
    const { scheduler, ledger } = this.#context;
    for (
      let job = scheduler.queue.shift();
      job;
      job = scheduler.queue.shift()
    ) {
      ledger.reject(job, reason(job));
    }
  }

  // Rejects a job that has not started, wherever it waits; false if it
  // has started.
  #dropUnstarted(job: Job, reason: unknown): boolean {
    const { scheduler, ledger } = this.#context;
    const worker = job.worker;
    if (worker === undefined) {
      scheduler.queue.forget(); // its shift() skips the job
    } else if (worker.takeBack(job)) {
      scheduler.freeIfEmpty(worker);
      scheduler.wake();
    } else {
      return false;
    }
    ledger.reject(job, reason);
    this.#context.settled();
    return true;
  }

  // Ends a worker that died or must die: its started jobs fail, the others
  // go back to the queue. If BARREN_DEATHS_LIMIT workers in a row die
  // before starting any job, the waiting jobs fail instead of respawning
  // forever.
  #replace(worker: PoolWorker, cause: unknown): void {
    const { scheduler, ledger, name } = this.#context;
    const started = worker.claims.started > 0;
    const requeue: Job[] = [];
    for (const job of scheduler.retire(worker, cause)) {
      if (job.done) continue;
      if (job.transfer === undefined && worker.claims.revoke(job.seq)) {
        requeue.push(job);
      } else {
        ledger.reject(
          job,
          new WorkerCrashedError(
            `Worker ${worker.id} of thread pool '${name}' died while running task '${job.label}'`,
            { cause },
          ),
        );
      }
    }
    if (started) {
      this.#barrenDeaths = 0;
    } else if (++this.#barrenDeaths >= BARREN_DEATHS_LIMIT) {
      this.#barrenDeaths = 0;
      const error = () =>
        new WorkerCrashedError(
          `Cannot run the task as ${BARREN_DEATHS_LIMIT} workers of thread pool '${name}' in a row died before starting any task`,
          { cause },
        );
      for (const job of requeue) ledger.reject(job, error());
      this.#rejectQueued(error);
      requeue.length = 0;
    }
    scheduler.queue.requeue(requeue);
    scheduler.wake();
    this.#context.settled();
  }
}
