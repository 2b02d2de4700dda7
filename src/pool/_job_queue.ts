// Copyright 2026 the iox authors. MIT license.
// The pool's queue of jobs not yet given to a worker: highest priority
// first, FIFO among equal priorities. One ring buffer per priority in use
// (almost always one), so a queued job costs one array slot here. A job
// removed while queued (aborted, timed out) is only counted out and skipped
// when it comes up: removing it from the middle would cost O(n).
import type { Job } from "./_job.ts";

const MIN_CAPACITY = 16;

/** A double-ended ring buffer of jobs in `order`. */
class Ring {
  #items: (Job | undefined)[] = new Array(MIN_CAPACITY);
  #head = 0;
  length = 0;

  constructor(readonly priority: number) {}

  get first(): Job | undefined {
    return this.#items[this.#head];
  }

  push(job: Job): void {
    if (this.length === this.#items.length) this.#resize(this.length * 2);
    this.#items[(this.#head + this.length++) & (this.#items.length - 1)] = job;
  }

  unshift(job: Job): void {
    if (this.length === this.#items.length) this.#resize(this.length * 2);
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = job;
    this.length++;
  }

  shift(): Job | undefined {
    const job = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.length--;
    // Give back the memory of a burst once it is mostly gone.
    const capacity = this.#items.length;
    if (capacity > 1024 && this.length * 4 < capacity) {
      this.#resize(capacity / 2);
    }
    return job;
  }

  /** Puts `job` in its place by `order`: the rare requeue behind others. */
  insert(job: Job): void {
    const all = this.#drain();
    let at = all.findIndex((other) => other.order > job.order);
    if (at === -1) at = all.length;
    all.splice(at, 0, job);
    for (const each of all) this.push(each);
  }

  #drain(): Job[] {
    const all: Job[] = [];
    while (this.length > 0) all.push(this.shift()!);
    return all;
  }

  #resize(capacity: number): void {
    const items = new Array<Job | undefined>(Math.max(MIN_CAPACITY, capacity));
    for (let i = 0; i < this.length; i++) {
      items[i] = this.#items[(this.#head + i) & (this.#items.length - 1)];
    }
    this.#items = items;
    this.#head = 0;
  }
}

/** Jobs waiting for a worker, by priority, then FIFO. */
export class JobQueue {
  // Rings in use, highest priority first.
  #rings: Ring[] = [];
  #size = 0;

  /** Jobs queued and not settled. */
  get size(): number {
    return this.#size;
  }

  /** The highest priority among queued jobs; -Infinity if none. */
  get highestPriority(): number {
    this.#dropSettledHeads();
    for (const ring of this.#rings) if (ring.length > 0) return ring.priority;
    return -Infinity;
  }

  /** The job {@linkcode shift} would return, left in place. */
  peek(): Job | undefined {
    this.#dropSettledHeads();
    for (const ring of this.#rings) if (ring.length > 0) return ring.first;
    return undefined;
  }

  /** Adds a new job behind those of its priority. */
  push(job: Job): void {
    this.#ring(job.priority).push(job);
    this.#size++;
  }

  /** Takes the next job to run, or undefined. */
  shift(): Job | undefined {
    for (let i = 0; this.#size > 0 && i < this.#rings.length;) {
      const ring = this.#rings[i]!;
      if (ring.length === 0) {
        i = this.#dropEmpty(i);
        continue;
      }
      const job = ring.shift()!;
      if (!job.done) {
        this.#size--;
        return job;
      }
    }
    return undefined;
  }

  /**
   * Puts jobs taken back from workers in their place again: each before
   * the queued jobs of its priority accepted after it.
   */
  requeue(jobs: Job[]): void {
    const sorted = [...jobs].sort((a, b) => b.order - a.order);
    for (const job of sorted) {
      const ring = this.#ring(job.priority);
      const first = ring.first;
      if (first === undefined || first.order > job.order) ring.unshift(job);
      else ring.insert(job);
      this.#size++;
    }
  }

  /** Counts out a queued job that settled (it is skipped when it comes up). */
  forget(): void {
    this.#size--;
  }

  #ring(priority: number): Ring {
    const rings = this.#rings;
    let i = 0;
    while (i < rings.length && rings[i]!.priority > priority) i++;
    if (rings[i]?.priority === priority) return rings[i]!;
    const ring = new Ring(priority);
    rings.splice(i, 0, ring);
    return ring;
  }

  // The ring of priority 0, the common case, is kept when empty: a pool
  // whose queue keeps emptying would otherwise make one per task.
  #dropEmpty(i: number): number {
    if (this.#rings[i]!.priority === 0) return i + 1;
    this.#rings.splice(i, 1);
    return i;
  }

  #dropSettledHeads(): void {
    for (let i = 0; i < this.#rings.length;) {
      const ring = this.#rings[i]!;
      while (ring.length > 0 && ring.first!.done) ring.shift();
      if (ring.length > 0) return;
      i = this.#dropEmpty(i);
    }
  }
}
