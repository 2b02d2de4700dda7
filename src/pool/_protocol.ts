// Copyright 2026 the iox authors. MIT license.
// The protocol between a pool and its workers: the claim cells in shared
// memory and the messages.
//
// Task payloads travel in batched messages (structured clone is the only
// portable serializer), but whether a task has started is decided in shared
// memory: each worker owns a ring of claim cells, one per task it has been
// given. The worker claims a cell (QUEUED -> STARTED) right before it runs a
// task; the pool revokes it (QUEUED -> REVOKED) to take a task back for an
// abort, a timeout, a crash or a free worker. One compare-and-swap decides
// the race, with no message round trip, so a task sent ahead to a worker is
// still just "queued": it can be removed, or given to another worker.

/** Claim cells per worker: the most tasks one worker may hold at once. */
export const RING_SIZE = 1024;
const RING_MASK = RING_SIZE - 1;
/** The most tasks sent to one worker in one message. */
export const MAX_BATCH = 512;

const QUEUED = 0;
const STARTED = 1;
const REVOKED = 2;
// A cell holds the task's sequence number next to its state, so a worker
// late to a cell that was revoked and reused for a later task cannot claim
// the later one by mistake.
const SEQ_SPAN = 1 << 29;

function cell(seq: number, state: number): number {
  return (seq % SEQ_SPAN) * 4 + state;
}

/** Where a task lives in a worker's ring. */
export function slotOf(seq: number): number {
  return seq & RING_MASK;
}

/**
 * One worker's claim cells, plus a count of the tasks it has started. The
 * pool creates it and sends `buffer` to the worker, which wraps the same
 * memory.
 */
export class ClaimCells {
  readonly buffer: SharedArrayBuffer;
  #cells: Int32Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ??
      new SharedArrayBuffer((RING_SIZE + 1) * Int32Array.BYTES_PER_ELEMENT);
    this.#cells = new Int32Array(this.buffer);
  }

  /** Pool side: marks task `seq` as queued in this worker. */
  assign(seq: number): void {
    Atomics.store(this.#cells, slotOf(seq), cell(seq, QUEUED));
  }

  /** Pool side: takes back task `seq` if it has not started. */
  revoke(seq: number): boolean {
    const queued = cell(seq, QUEUED);
    return Atomics.compareExchange(
      this.#cells,
      slotOf(seq),
      queued,
      cell(seq, REVOKED),
    ) === queued;
  }

  /** Worker side: claims task `seq` unless the pool took it back. */
  claim(seq: number): boolean {
    const queued = cell(seq, QUEUED);
    if (
      Atomics.compareExchange(
        this.#cells,
        slotOf(seq),
        queued,
        cell(seq, STARTED),
      ) !== queued
    ) return false;
    Atomics.add(this.#cells, RING_SIZE, 1);
    return true;
  }

  /** How many tasks the worker has started so far. */
  get started(): number {
    return Atomics.load(this.#cells, RING_SIZE);
  }
}

/** Pool to worker, the first message: what the worker needs to start. */
export interface InitMessage {
  /** The task module's URL. */
  module: string;
  /** The worker's claim cells ({@linkcode ClaimCells.buffer}). */
  claims: SharedArrayBuffer;
  /** Added to the kind of every message the worker sends (see below). */
  tag: number;
  /** Given to the module's `setup` export, if it has one. */
  workerData: unknown;
}

// Every later message is an array whose first element is its kind. A
// worker's messages carry `tag + kind` instead, with the random multiple of
// 16 that the init message gave it: a task's own `postMessage` cannot pass
// for one of them. Batches and results are flat arrays rather than arrays of
// objects: they carry up to MAX_BATCH tasks, and one object per task would
// cost more to clone than the task itself.

/**
 * Pool to worker: `[BATCH, seq, name, args, seq, name, args, ...]`. The name
 * of a task to stream (an export that is a generator function) is sent
 * wrapped in a one-element array.
 */
export const BATCH = 1;
/** Pool to worker: `[CREDIT, seq, n]`: stream `seq` may yield `n` more values. */
export const CREDIT = 2;
/** Pool to worker: `[CANCEL, seq]`: stop stream `seq` (its `finally` runs). */
export const CANCEL = 3;

/** Worker to pool: `[READY]`: the module loaded and `setup` returned. */
export const READY = 1;
/**
 * Worker to pool: `[RESULTS, seq, ok, value, runMs, ...]`, four entries per
 * task; `value` is the result, or the error if `ok` is false.
 */
export const RESULTS = 2;
/** Worker to pool: `[VALUES, seq, value, value, ...]` yielded by stream `seq`. */
export const VALUES = 3;
/** Worker to pool: `[LOAD_FAILED, error]`: the task module did not load. */
export const LOAD_FAILED = 4;
/** Worker to pool: `[SETUP_FAILED, error]`: the module's `setup` threw. */
export const SETUP_FAILED = 5;
/** Worker to pool: `[CRASHED, error]`: an uncaught error outside a task. */
export const CRASHED = 6;
/** Worker to pool: `[EXITING, how]`: the worker is ending itself. */
export const EXITING = 7;
