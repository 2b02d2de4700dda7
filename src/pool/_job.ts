// Copyright 2026 the iox authors. MIT license.
// A task as the pool tracks it. Its lifecycle is described once, in
// thread_pool.ts, the module that moves it through it.
import { LongTimeout } from "../_util/long_timeout.ts";
import {
  assertFiniteNumber,
  assertMs,
  notAnAbortSignal,
  notAnArray,
  notAString,
} from "../_util/validate.ts";
import type { PoolWorker } from "./_worker.ts";

/** The pool's side of a stream: where its values go, and its credit. */
export interface StreamSink {
  controller: ReadableStreamDefaultController<unknown>;
  highWaterMark: number;
  /** Values granted to the generator and not received yet. */
  inFlight: number;
  /** Resolved when the job settles, for a cancel() waiting on it. */
  settled: PromiseWithResolvers<void> | undefined;
  /** Set when it was aborted after it started: it ends as a failure. */
  aborted: { reason: unknown } | undefined;
}

/**
 * What only some tasks need, kept apart so that a plain task (100k may wait
 * in the queue) is one small object besides its promise.
 */
export interface JobExtras {
  transfer: Transferable[] | undefined;
  timer: LongTimeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  stream: StreamSink | undefined;
}

/**
 * A time on the `performance.now()` clock, shared by every job accepted in
 * one turn: a number field would cost each job a heap number of its own.
 */
export interface Stamp {
  readonly at: number;
}

/** One task: a call of an export, from acceptance until it settles. */
export class Job {
  /** Its number in its worker's ring, while it has a worker. */
  seq = -1;
  /** The worker it was given to, until it settles or is taken back. */
  worker: PoolWorker | undefined = undefined;
  /** Settled: its promise is resolved or rejected. */
  done = false;
  extras: JobExtras | undefined = undefined;
  /**
   * @param name The export to call; a stream's is wrapped in an array, as
   * the protocol sends it.
   * @param args Its arguments.
   * @param resolve Settles its promise; given a rejecting thenable to
   * reject it (see `rejecting` in _ledger.ts).
   * @param priority Higher runs first.
   * @param order Its place among jobs of equal priority (FIFO).
   * @param queued When it was accepted: shared by the jobs of one turn.
   */
  constructor(
    readonly name: string | [string],
    readonly args: unknown[],
    readonly resolve: (value: unknown) => void,
    readonly priority: number,
    readonly order: number,
    readonly queued: Stamp,
  ) {}

  /** The export's name, for messages. */
  get label(): string {
    return typeof this.name === "string" ? this.name : this.name[0];
  }

  get transfer(): Transferable[] | undefined {
    return this.extras?.transfer;
  }

  get stream(): StreamSink | undefined {
    return this.extras?.stream;
  }
}

/**
 * Checks the arguments of a call of `run`, `map` or `stream`. Runs for
 * every task: the messages are built only when thrown.
 */
export function checkCall(
  verb: string,
  name: unknown,
  args: unknown,
  transfer: unknown,
  signal: unknown,
  timeoutMs: unknown,
  priority: unknown,
): void {
  if (typeof name !== "string") {
    throw notAString(`Cannot ${verb} task as 'name'`, name);
  }
  const action = () => `Cannot ${verb} task '${name}' as`;
  if (!Array.isArray(args)) throw notAnArray(`${action()} 'args'`, args);
  if (transfer !== undefined && !Array.isArray(transfer)) {
    throw notAnArray(`${action()} 'transfer'`, transfer);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw notAnAbortSignal(`${action()} 'signal'`, signal);
  }
  if (!(typeof timeoutMs === "number" && timeoutMs > 0)) {
    assertMs(timeoutMs, `${action()} 'timeoutMs'`, false);
  }
  if (priority !== 0 && !Number.isFinite(priority)) {
    assertFiniteNumber(priority, `${action()} 'priority'`);
  }
}

/**
 * Gives a new job what only some jobs need: its transfer list, its abort
 * listener and timeout timer (both call `abort`), its stream.
 */
export function armJob(
  job: Job,
  transfer: Transferable[] | undefined,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  stream: StreamSink | undefined,
  abort: (job: Job, reason: unknown) => void,
): void {
  if (
    !transfer?.length && signal === undefined && timeoutMs === Infinity &&
    stream === undefined
  ) return;
  const extras: JobExtras = job.extras = {
    transfer: transfer?.length ? transfer : undefined,
    timer: undefined,
    signal,
    onAbort: undefined,
    stream,
  };
  if (signal !== undefined) {
    extras.onAbort = () => abort(job, signal.reason);
    signal.addEventListener("abort", extras.onAbort, { once: true });
  }
  if (timeoutMs !== Infinity) {
    extras.timer = new LongTimeout(() =>
      abort(
        job,
        new DOMException(
          `Task '${job.label}' timed out after ${timeoutMs} ms`,
          "TimeoutError",
        ),
      ), timeoutMs);
  }
}
