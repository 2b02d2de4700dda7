// Copyright 2026 the iox authors. MIT license.
// The FIFO behind Strand. Executor keeps the same two arrays in its own
// fields (one call level less on its hot path, see executor.ts).
//
// Two arrays: items are pushed on `#back` and taken from `#front` by index;
// when `#front` is used up the arrays swap, the used one emptied for reuse.
// This was measured against a power-of-two ring buffer (growth copied in
// JavaScript, ~0.5x of a raw array drain loop on Deno) and against a sliding
// array: appending with the engine's own `push` and reading by index is what
// a raw `for` loop over an array does, and it keeps pace with it (~0.8x on
// Deno, ~0.9x on Bun, 10k handlers). Nothing is ever shifted
// (`Array.prototype.shift` is O(n)), a push or a take allocates nothing
// beyond the engine's amortised growth, and each slot is cleared when taken
// so a queue never keeps a finished handler alive: memory stays flat however
// many items go through.

/** A FIFO queue of items that are never `undefined`. */
export class Queue<T> {
  #front: (T | undefined)[] = [];
  #index = 0;
  #back: (T | undefined)[] = [];

  /** How many items are queued. */
  get length(): number {
    return this.#front.length - this.#index + this.#back.length;
  }

  /** Appends an item at the back. */
  push(item: T): void {
    this.#back.push(item);
  }

  /** Inserts an item at the front, so that it is the next one taken. */
  unshift(item: T): void {
    if (this.#index > 0) {
      this.#front[--this.#index] = item;
    } else {
      // Only reached on rare paths (error reporting), so O(n) is fine here.
      this.#front.unshift(item);
    }
  }

  /** Removes and returns the front item, or `undefined` when empty. */
  shift(): T | undefined {
    let front = this.#front;
    let index = this.#index;
    if (index === front.length) {
      if (this.#back.length === 0) return undefined;
      front.length = 0;
      this.#front = this.#back;
      this.#back = front;
      front = this.#front;
      index = 0;
    }
    const item = front[index];
    front[index] = undefined;
    this.#index = index + 1;
    return item;
  }
}
