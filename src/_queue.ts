// Copyright 2026 the iox authors. MIT license.
// The FIFO behind Strand. Executor keeps the same two arrays in its own
// fields (one call level less on its hot path, see executor.ts).
//
// Two arrays: items are written at the back array's next free slot and taken
// from the front array by index; when the front is used up the arrays swap,
// and the used one, whose slots were all cleared as they were taken, is
// written over again from slot 0. Writing and reading by index is what a raw
// `for` loop over an array does, and it keeps pace with it. Counting the
// items in fields instead of truncating the used array (`length = 0`) is
// what makes reuse work: V8 frees the storage of an array truncated to 0 and
// the next burst grows a new one, which cost more than the queue itself (a
// third of a post+run of 10k handlers). Nothing is ever shifted
// (`Array.prototype.shift` is O(n)); each slot is cleared when taken, so a
// queue never keeps a finished item alive; an array that grew past
// MAX_REUSED_LENGTH in a burst is dropped when used up, so memory goes back
// to where it was.

/** Used-up arrays longer than this are dropped instead of reused. */
export const MAX_REUSED_LENGTH = 65536;

/** A FIFO queue of items that are never `undefined`. */
export class Queue<T> {
  #front: (T | undefined)[] = [];
  #index = 0;
  #end = 0;
  #back: (T | undefined)[] = [];
  #backLength = 0;

  /** How many items are queued. */
  get length(): number {
    return this.#end - this.#index + this.#backLength;
  }

  /** Appends an item at the back. */
  push(item: T): void {
    this.#back[this.#backLength++] = item;
  }

  /** Removes and returns the front item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#index === this.#end) {
      const length = this.#backLength;
      if (length === 0) return undefined;
      const used = this.#front;
      this.#front = this.#back;
      this.#back = used;
      this.#backLength = 0;
      this.#index = 0;
      this.#end = length;
    }
    const front = this.#front;
    const index = this.#index;
    const item = front[index];
    front[index] = undefined;
    if (index + 1 === this.#end && front.length > MAX_REUSED_LENGTH) {
      // The last item of a burst: give its memory back.
      this.#front = [];
      this.#index = this.#end = 0;
    } else {
      this.#index = index + 1;
    }
    return item;
  }
}
