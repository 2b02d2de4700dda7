// Copyright 2026 the iox authors. MIT license.
// The timer queue of one executor, as asio's io_context keeps one: a binary
// min-heap of the timers that have pending waits, ordered by expiry and, for
// equal expiries, by when they were queued, with a single runtime timer armed
// for the earliest expiry. Runtime timers cost far more than a heap step (and
// each one that fires wakes a waiting run on its own), so many timers share
// one, and all the waits that expire together complete in one go.

// Longer expiries than setTimeout's range are reached in several steps.
import { MAX_TIMEOUT_MS } from "../_util/long_timeout.ts";

/** A timer's place in a TimerQueue. */
export interface TimerEntry {
  /** When it expires, on the performance.now() clock; fixed while queued. */
  expiry: number;
  /** Position in the heap, -1 while not queued. Owned by the queue. */
  index: number;
  /** Queueing order, for equal expiries. Owned by the queue. */
  order: number;
  /** Called once the expiry is reached, after the entry left the queue. */
  expire(): void;
}

export class TimerQueue {
  #heap: TimerEntry[] = [];
  #order = 0;
  #timeout: ReturnType<typeof setTimeout> | undefined;
  // The expiry the runtime timer is armed for (Infinity when disarmed).
  #armedFor = Infinity;
  #fireBound = (): void => this.#fire();

  /** Queues `entry`, which must not be queued. */
  insert(entry: TimerEntry): void {
    const heap = this.#heap;
    entry.order = this.#order++;
    entry.index = heap.length;
    heap.push(entry);
    this.#siftUp(entry);
    if (entry.expiry < this.#armedFor) this.#arm(entry.expiry);
  }

  /** Takes `entry` out of the queue if it is queued. */
  remove(entry: TimerEntry): void {
    const index = entry.index;
    if (index < 0) return;
    entry.index = -1;
    const heap = this.#heap;
    const last = heap.pop()!;
    if (last !== entry) {
      heap[index] = last;
      last.index = index;
      this.#siftDown(last);
      this.#siftUp(last);
    }
    // The runtime timer stays armed for an earlier entry that went: it
    // wakes once for nothing and re-arms. Only an empty queue clears it, so
    // that nothing is left armed (and keeps the process alive) for nobody.
    if (heap.length === 0) {
      clearTimeout(this.#timeout);
      this.#timeout = undefined;
      this.#armedFor = Infinity;
    }
  }

  #arm(expiry: number): void {
    clearTimeout(this.#timeout);
    this.#armedFor = expiry;
    // Rounded up: runtimes count whole milliseconds, and an early wake-up
    // only costs a re-arm.
    const delay = Math.ceil(expiry - performance.now());
    this.#timeout = setTimeout(
      this.#fireBound,
      Math.min(Math.max(0, delay), MAX_TIMEOUT_MS),
    );
  }

  #fire(): void {
    this.#timeout = undefined;
    this.#armedFor = Infinity;
    const heap = this.#heap;
    // A runtime timer may fire a little before performance.now() reaches
    // the expiry: whatever has not expired yet waits for the re-arm.
    const now = performance.now();
    while (heap.length !== 0 && heap[0]!.expiry <= now) {
      const top = heap[0]!;
      top.index = -1;
      const last = heap.pop()!;
      if (last !== top) {
        heap[0] = last;
        last.index = 0;
        this.#siftDown(last);
      }
      top.expire();
    }
    if (heap.length !== 0 && this.#timeout === undefined) {
      this.#arm(heap[0]!.expiry);
    }
  }

  #siftUp(entry: TimerEntry): void {
    const heap = this.#heap;
    let index = entry.index;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(entry, parent)) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.index = index;
  }

  #siftDown(entry: TimerEntry): void {
    const heap = this.#heap;
    const length = heap.length;
    let index = entry.index;
    for (;;) {
      let childIndex = 2 * index + 1;
      if (childIndex >= length) break;
      let child = heap[childIndex]!;
      if (childIndex + 1 < length) {
        const right = heap[childIndex + 1]!;
        if (before(right, child)) {
          child = right;
          childIndex++;
        }
      }
      if (!before(child, entry)) break;
      heap[index] = child;
      child.index = index;
      index = childIndex;
    }
    heap[index] = entry;
    entry.index = index;
  }
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.expiry < b.expiry || (a.expiry === b.expiry && a.order < b.order);
}
