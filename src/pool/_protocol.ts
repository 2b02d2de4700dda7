// Copyright 2026 the iox authors. MIT license.
// The shared-memory half of the pool's queue and the message protocol
// between the pool and its workers.
//
// Task payloads travel in batched messages (structured clone is the only
// portable serializer), but whether a task has started is decided in shared
// memory: each worker owns a ring of claim cells, one per task it has been
// given. The worker claims a cell (QUEUED -> STARTED) right before it runs a
// task; the pool revokes it (QUEUED -> REVOKED) to take a task back for an
// abort, a timeout or a crash. One compare-and-swap decides the race, with no
// message round trip, so a task sent ahead to a worker is still just
// "queued": it can be removed, or re-queued if the worker dies.

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

// Messages are arrays whose first element is one of these kinds. A worker's
// messages carry `tag + kind` instead, with the random multiple of 8 that
// INIT gave it: a task's own `postMessage` cannot pass for one of them.
/** Pool to worker: `[INIT, moduleHref, claimBuffer, tag]`. */
export const INIT = 0;
/** Pool to worker: `[BATCH, seq, name, args, seq, name, args, ...]`. */
export const BATCH = 1;
/** Worker to pool: `[RESULTS, seq, ok, value, seq, ok, value, ...]`. */
export const RESULTS = 2;
/** Worker to pool: `[LOAD_FAILED, error]`: the task module did not load. */
export const LOAD_FAILED = 3;
/** Worker to pool: `[CRASHED, error]`: an uncaught error outside a task. */
export const CRASHED = 4;
/** Worker to pool: `[EXITING, how]`: the worker is ending itself. */
export const EXITING = 5;

/** A tag for a new worker's messages: a random multiple of 8 above 0. */
export function messageTag(): number {
  return (crypto.getRandomValues(new Uint32Array(1))[0]! + 1) * 8;
}
