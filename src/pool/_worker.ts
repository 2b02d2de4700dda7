// Copyright 2026 the iox authors. MIT license.
// One pool worker: its thread, the jobs it was given, and the messages
// between them. The pool decides what a worker does; this module only
// carries it out and reports back.
//
// A worker's lifecycle:
//
//   spawned ──READY──▶ ready ──────────────────────────▶ retired
//      │                 ▲ free ⇄ busy                      ▲
//      └─────────────────┴──────────────────────────────────┘
//
// - spawned: `new Worker` and the init message (module, claim cells, tag,
//   workerData) are sent at once; it may be given jobs straight away: they
//   wait in its message queue while it loads the module and awaits the
//   module's `setup(workerData)`. READY says both are done; LOAD_FAILED or
//   SETUP_FAILED that it never will be.
// - free or busy: busy while it holds jobs (`outstanding > 0`), free when
//   not. A busy worker's jobs are `running` (claimed in shared memory: at
//   most one, or one stream, at a time) or `held` (sent ahead, unstarted).
//   Held jobs can be taken back at any moment with one compare-and-swap
//   (`takeBack`), so they are still the pool's to move.
// - retired: `retire()` terminates the thread and hands every unsettled
//   job back to the pool, which decides their fate (requeue or reject).
//   Retiring is final and happens once; messages and events arriving after
//   it are ignored. A worker is retired when it dies on its own (crash, an
//   exit, a failed load or setup), when a running job of its must be
//   stopped (abort, timeout), after `maxTasksPerWorker` jobs, after
//   `idleTimeoutMs` idle, and on close or terminate.
import { dataCloneError, receiveError } from "../_util/error_transfer.ts";
import type { Job } from "./_job.ts";
import {
  BATCH,
  CANCEL,
  ClaimCells,
  CRASHED,
  CREDIT,
  EXITING,
  type InitMessage,
  LOAD_FAILED,
  READY,
  RESULTS,
  RING_SIZE,
  SETUP_FAILED,
  slotOf,
  VALUES,
} from "./_protocol.ts";
import { messageTag } from "../_util/worker_link.ts";
import { spawnWorker } from "../_runtime/worker.ts";

const WORKER_URL = new URL("./_worker_main.ts", import.meta.url);

/** How a worker ended itself, for {@linkcode WorkerOwner.died}. */
export type Death = "crash" | "setup";

/** What a worker reports to its pool. */
export interface WorkerOwner {
  /** The module loaded and `setup` returned. */
  ready(worker: PoolWorker): void;
  /**
   * A job ended; `value` is its result, or its (sent) error if not `ok`.
   * `receivedAt` is when its message came, on the `performance.now()` clock.
   */
  settled(
    job: Job,
    ok: boolean,
    value: unknown,
    runMs: number,
    receivedAt: number,
  ): void;
  /** A batch of results was handled: the worker may be free now. */
  reported(worker: PoolWorker): void;
  /** A stream yielded `values[from..]`. */
  values(job: Job, values: unknown[], from: number): void;
  /** The task module failed to load (in this worker, hence in all). */
  loadFailed(cause: unknown): void;
  /** The worker is gone or must go: a crash, an exit, a failed setup. */
  died(worker: PoolWorker, cause: unknown, death: Death): void;
}

/** One worker thread of a pool (see the lifecycle above). */
export class PoolWorker {
  readonly claims: ClaimCells = new ClaimCells();
  readonly #jobs: (Job | undefined)[] = new Array(RING_SIZE);
  readonly #tag: number = messageTag();
  readonly #owner: WorkerOwner;
  readonly #worker: Worker;
  #nextSeq = 0;
  #settledStarted = 0;
  // The batch being built for the next message, and what it transfers.
  #batch: unknown[] | undefined = undefined;
  #batchJobs: Job[] = [];
  #transfer: Transferable[] | undefined = undefined;
  /** Jobs given and not settled or taken back. */
  outstanding = 0;
  /** Jobs given and not taken back, over its life (for maxTasksPerWorker). */
  given = 0;
  ready = false;
  retired = false;
  /** On the pool's idle list. */
  idle = false;
  /** When it last went on the idle list, on performance.now()'s clock. */
  idleSince = 0;

  /**
   * Starts the thread and sends it the init message.
   *
   * @param id The pool's number for it (the events' `threadId`).
   * @param name The thread's name.
   * @param init The task module and the workerData.
   * @param owner Where its reports go.
   */
  constructor(
    readonly id: number,
    name: string,
    init: Pick<InitMessage, "module" | "workerData">,
    owner: WorkerOwner,
  ) {
    this.#owner = owner;
    // The worker's events come on later turns, once this is constructed.
    this.#worker = spawnWorker(WORKER_URL, name, {
      message: (data) => {
        if (!this.retired) this.#onMessage(data);
      },
      failed: (error) => {
        if (!this.retired) owner.died(this, error, "crash");
      },
    });
    const message: InitMessage = {
      module: init.module,
      claims: this.claims.buffer,
      tag: this.#tag,
      workerData: init.workerData,
    };
    this.#worker.postMessage(message);
  }

  /** Jobs it has started and the pool has not heard the end of. */
  get running(): number {
    return this.claims.started - this.#settledStarted;
  }

  /** Jobs it holds that it has not started. */
  get held(): number {
    return this.outstanding - this.running;
  }

  /** Whether it has room in its ring for one more job. */
  get hasRoom(): boolean {
    return this.#jobs[slotOf(this.#nextSeq)] === undefined;
  }

  /** Adds `job` to the batch that {@linkcode send} will post. */
  give(job: Job): void {
    const seq = this.#nextSeq++;
    job.seq = seq;
    job.worker = this;
    this.#jobs[slotOf(seq)] = job;
    this.claims.assign(seq);
    this.outstanding++;
    this.given++;
    (this.#batch ??= [BATCH]).push(seq, job.name, job.args);
    this.#batchJobs.push(job);
    const transfer = job.transfer;
    if (transfer) (this.#transfer ??= []).push(...transfer);
  }

  /**
   * Posts the batch built by {@linkcode give}. If something in it cannot be
   * sent, the jobs are sent one by one so only the culprits fail: they are
   * taken back and returned with their errors.
   */
  send(): [Job, DOMException][] {
    const batch = this.#batch;
    if (batch === undefined) return [];
    const jobs = this.#batchJobs;
    const transfer = this.#transfer;
    this.#batch = undefined;
    this.#batchJobs = [];
    this.#transfer = undefined;
    const failed: [Job, DOMException][] = [];
    try {
      // An empty transfer list is not free (about a microsecond on Deno).
      if (transfer) this.#worker.postMessage(batch, transfer);
      else this.#worker.postMessage(batch);
    } catch {
      for (const job of jobs) {
        try {
          this.#worker.postMessage(
            [BATCH, job.seq, job.name, job.args],
            job.transfer ?? [],
          );
        } catch (error) {
          if (this.takeBack(job)) {
            failed.push([
              job,
              dataCloneError(
                `Cannot run task '${job.label}' as its arguments cannot be sent to a worker`,
                error,
              ),
            ]);
          }
        }
      }
    }
    for (const job of jobs) {
      const stream = job.stream;
      if (stream !== undefined && stream.inFlight > 0 && job.worker === this) {
        this.credit(job, stream.inFlight);
      }
    }
    return failed;
  }

  /** Lets stream `job` yield `count` more values. */
  credit(job: Job, count: number): void {
    this.#worker.postMessage([CREDIT, job.seq, count]);
  }

  /** Asks the generator of started stream `job` to stop. */
  cancel(job: Job): void {
    this.#worker.postMessage([CANCEL, job.seq]);
  }

  /** Takes `job` back if it has not started; false if it has. */
  takeBack(job: Job): boolean {
    if (!this.claims.revoke(job.seq)) return false;
    this.#release(job);
    this.given--;
    return true;
  }

  /**
   * Takes back up to `count` unstarted jobs that `can` accepts, newest
   * first (the oldest are the likeliest to start soon); returns them
   * oldest first. Stops at the first job it finds started: every older one
   * has started too.
   */
  takeBackUnstarted(count: number, can: (job: Job) => boolean): Job[] {
    const taken: Job[] = [];
    for (let i = 1; i <= RING_SIZE && taken.length < count; i++) {
      const seq = this.#nextSeq - i;
      if (seq < 0) break;
      const job = this.#jobs[slotOf(seq)];
      if (job === undefined || job.seq !== seq || !can(job)) continue;
      if (!this.takeBack(job)) break;
      taken.push(job);
    }
    return taken.reverse();
  }

  /**
   * The jobs it holds that have not started (as far as the shared memory
   * said when asked), newest first: it starts them in order, so they are
   * its newest `held` ones.
   */
  *heldJobs(): Generator<Job> {
    let left = this.held;
    for (let i = 1; i <= RING_SIZE && left > 0; i++) {
      const job = this.#job(this.#nextSeq - i);
      if (job === undefined) continue;
      left--;
      yield job;
    }
  }

  /** Terminates the thread; returns its unsettled jobs, oldest first. */
  retire(): Job[] {
    this.retired = true;
    this.#worker.terminate();
    const held: Job[] = [];
    for (let i = 1; i <= RING_SIZE && this.outstanding > 0; i++) {
      const job = this.#jobs[slotOf(this.#nextSeq - i)];
      if (job === undefined) continue;
      this.#release(job);
      held.push(job);
    }
    return held.reverse();
  }

  #release(job: Job): void {
    this.#jobs[slotOf(job.seq)] = undefined;
    this.outstanding--;
    job.worker = undefined;
  }

  #job(seq: number): Job | undefined {
    const job = this.#jobs[slotOf(seq)];
    return job !== undefined && job.seq === seq ? job : undefined;
  }

  // A message without this worker's tag came from a task's own
  // postMessage: ignored.
  #onMessage(message: unknown): void {
    if (!Array.isArray(message) || typeof message[0] !== "number") return;
    const owner = this.#owner;
    switch (message[0] - this.#tag) {
      case RESULTS: {
        const receivedAt = performance.now();
        for (let i = 1; i < message.length; i += 4) {
          const job = this.#job(message[i]);
          if (job === undefined) continue;
          this.#release(job);
          this.#settledStarted++;
          owner.settled(
            job,
            message[i + 1],
            message[i + 2],
            message[i + 3],
            receivedAt,
          );
        }
        owner.reported(this);
        break;
      }
      case VALUES: {
        const job = this.#job(message[1]);
        if (job !== undefined) owner.values(job, message, 2);
        break;
      }
      case READY:
        this.ready = true;
        owner.ready(this);
        break;
      case LOAD_FAILED:
        owner.loadFailed(receiveError(message[1]));
        break;
      case SETUP_FAILED:
        owner.died(this, receiveError(message[1]), "setup");
        break;
      case CRASHED:
        owner.died(this, receiveError(message[1]), "crash");
        break;
      case EXITING:
        owner.died(this, new Error(`Worker called ${message[1]}`), "crash");
        break;
    }
  }
}
