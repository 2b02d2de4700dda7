// Copyright 2026 the iox authors. MIT license.
// The handler queues of Executor and Strand: their layout, which each holds
// in its own fields (a Queue object in between cost the strand a third of
// its speed, and cost Executor's post() as much), and the list of full and
// spare blocks they share, which is touched once per block.
//
// Handlers are written at the back block's next free slot and taken from
// the front block by index. A back block that reaches BLOCK_LENGTH joins a
// list of full blocks and a new back block starts; when the front block is
// used up, the next full block becomes the front, or, with none, the back
// block does and the used front becomes the back, written over from slot 0.
// Writing and reading by index is what a raw `for` loop over an array does,
// and it keeps pace with it. Nothing is ever shifted (`Array.prototype.shift`
// is O(n)); each slot is cleared when taken, so a queue never keeps a
// finished handler alive.
//
// Why blocks (measured, see docs/executor.md "A fresh executor"): one array
// grown by a burst of 100k posts is copied at every growth step and, past
// 128 KiB, lives in V8's large-object space; it made post() cost about
// twice an Array.push under Deno. Blocks of BLOCK_LENGTH are preallocated,
// never copied once full, and their handlers die with them. Why reuse:
// counting the items in fields instead of truncating a used block
// (`length = 0`) keeps its capacity (V8 frees the storage of an array
// truncated to 0), and MAX_SPARE_BLOCKS used blocks are kept for the next
// burst, so a long-lived executor whose bursts fit in two blocks posts
// without allocating; other used blocks are dropped, so memory goes back to
// where it was.

/** How many handlers a queue block holds before a new one starts. */
export const BLOCK_LENGTH = 8192;

/** How many used-up blocks a queue keeps for reuse. */
export const MAX_SPARE_BLOCKS = 1;

/** A block of a handler queue: cleared slots are `undefined`. */
export type Block = ((() => unknown) | undefined)[];

/**
 * An empty block, to grow by writing at its end. Every block has V8's
 * packed elements kind: holey arrays, as `new Array(n)` makes, cost a hole
 * check per read, and blocks of two kinds would make the code that reads
 * and writes them polymorphic.
 */
export function emptyBlock(): Block {
  return [];
}

// A packed block of BLOCK_LENGTH cleared slots, copied for a new block: a
// function stored first makes it packed, where `new Array(n)` or `undefined`
// pushed into an empty array make it holey.
const CLEARED: Block = [emptyBlock];
for (let i = 1; i < BLOCK_LENGTH; i++) CLEARED.push(undefined);
CLEARED[0] = undefined;

/**
 * The full blocks of a queue between its front and back blocks, oldest
 * first, and its spare blocks. Used once per BLOCK_LENGTH handlers, so it
 * may be an object of its own; the per-handler work stays in the fields of
 * Executor and Strand.
 */
export class BlockList {
  #full: (Block | undefined)[] = [];
  #head = 0;
  #spares: Block[] = [];

  /** How many full blocks wait. */
  get length(): number {
    return this.#full.length - this.#head;
  }

  /**
   * Files the full back block `block` after the others and returns the
   * block to write next: a spare, or a new one.
   */
  append(block: Block): Block {
    this.#full.push(block);
    // Preallocated: growing a block from empty copies it a dozen times.
    return this.#spares.pop() ?? CLEARED.slice();
  }

  /**
   * Takes the oldest full block, which must exist, keeping the used-up
   * block `used` (its slots all cleared) as a spare if there is room.
   */
  shift(used: Block): Block {
    const full = this.#full;
    const head = this.#head;
    const block = full[head]!;
    full[head] = undefined;
    if (head + 1 === full.length) {
      full.length = 0;
      this.#head = 0;
    } else {
      this.#head = head + 1;
    }
    if (this.#spares.length < MAX_SPARE_BLOCKS) this.#spares.push(used);
    return block;
  }
}
