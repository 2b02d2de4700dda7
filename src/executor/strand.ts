// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode Strand}: asio's `strand`, a serial lane on an
 * {@linkcode Executor}.
 *
 * Guarantees:
 * - **No overlap**: a strand's handlers never run concurrently, including
 *   their asynchronous part: when a handler returns a promise, the next one
 *   starts only after it settled (fulfilled or rejected).
 * - **Ordering**: FIFO among handlers given to the same strand. The strand
 *   takes turns on the executor, as asio's strand does: a turn is one handler
 *   of the executor that runs, in one go, a bounded number of the strand's
 *   handlers that were ready when it began; handlers given to the strand
 *   meanwhile wait for its next turn, queued at the executor's back, so
 *   other work on the executor interleaves even with a long backlog.
 *   `run()` still counts each strand handler as one handler.
 * - **What runs where**: on the executor, inside its runs. `dispatch` runs
 *   inline when called from this strand's handler, or when the strand is
 *   idle and the caller is a handler of the executor (as in asio).
 * - **Throw**: a strand handler's throw or rejection reaches the executor's
 *   `run()` (or its `onError`) like any handler's; the strand goes on with
 *   its next handler. A `submit` function's error goes to its promise only.
 * - **Work**: a strand waiting on an async handler counts as outstanding
 *   work of the executor, so `run()` does not return in between.
 *
 * @module
 */
import type { Executor, SubmitOptions } from "./executor.ts";
import {
  type Block,
  BLOCK_LENGTH,
  BlockList,
  emptyBlock,
} from "./_queue_blocks.ts";
import { turnLength } from "./_strand_turn.ts";
import { assertExecutor, internals } from "./_internals.ts";
import { isThenable, notAFunction } from "../_util/validate.ts";
import { submit } from "./_submit.ts";

/**
 * Runs handlers on an {@linkcode Executor} one at a time, in order, never
 * overlapping, even when they are async.
 *
 * @example Usage
 * ```ts
 * import { Executor, Strand } from "@iox/iox/executor";
 * import assert from "node:assert/strict";
 *
 * const io = new Executor();
 * const strand = new Strand(io);
 * const log: string[] = [];
 * strand.post(async () => {
 *   log.push("a start");
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   log.push("a end");
 * });
 * strand.post(() => log.push("b"));
 * await io.run();
 * assert.deepEqual(log, ["a start", "a end", "b"]);
 * ```
 */
export class Strand {
  #executor: Executor;
  // The strand's FIFO, the same two arrays as Executor's queue, held here
  // for the same reason (a Queue object cost the strand a third of its
  // speed): handlers are written at #back[#backLength] and taken from
  // #front at #index up to #end, full blocks wait in #blocks in between
  // (made with the first full block: most strands never have one).
  #front: Block = emptyBlock();
  #index = 0;
  #end = 0;
  #back: Block = emptyBlock();
  #backLength = 0;
  #blocks: BlockList | undefined;
  // True while a turn is queued on the executor or a handler's async part
  // is pending: then new handlers only join the queue.
  #scheduled = false;
  // How many of this strand's handlers are on the call stack.
  #depth = 0;
  // Promises of handlers dispatched inline from the running handler.
  #held: PromiseLike<unknown>[] = [];
  #turn = (): unknown => this.#runTurn();
  #postBound = (handler: () => unknown): void => this.post(handler);
  #resume = (): void => {
    this.#scheduleNext();
    internals.workFinished(this.#executor);
  };

  /**
   * Makes a strand on `executor`.
   *
   * @param executor The executor whose runs will run the handlers.
   * @throws {TypeError} If `executor` is not an {@linkcode Executor}.
   */
  constructor(executor: Executor) {
    assertExecutor(executor, "Cannot create strand as 'executor'");
    this.#executor = executor;
  }

  /**
   * The executor the strand runs on.
   *
   * @returns The executor given to the constructor.
   */
  get executor(): Executor {
    return this.#executor;
  }

  /**
   * Whether one of this strand's handlers is running right now, on this
   * call stack.
   *
   * @example Usage
   * ```ts
   * import { Executor, Strand } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const strand = new Strand(io);
   * let inside = false;
   * strand.post(() => { inside = strand.runningInThisThread; });
   * await io.run();
   * assert.equal(inside, true);
   * assert.equal(strand.runningInThisThread, false);
   * ```
   *
   * @returns True inside one of this strand's handlers.
   */
  get runningInThisThread(): boolean {
    return this.#depth > 0;
  }

  /**
   * Queues a handler on the strand. Never runs it inside the call.
   *
   * @example Usage
   * ```ts
   * import { Executor, Strand } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const strand = new Strand(io);
   * const log: number[] = [];
   * for (let i = 0; i < 3; i++) strand.post(() => log.push(i));
   * assert.equal(await io.run(), 3);
   * assert.deepEqual(log, [0, 1, 2]);
   * ```
   *
   * @param handler The function to run; a returned promise holds the strand
   * until it settles.
   * @throws {TypeError} If `handler` is not a function; nothing is queued.
   */
  post(handler: () => unknown): void {
    if (typeof handler !== "function") {
      throw notAFunction("Cannot post handler to strand as it", handler);
    }
    this.#push(handler);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#executor.post(this.#turn);
    }
  }

  /**
   * Queues `fn` on the strand like `post` (FIFO with it) and returns the
   * promise of its outcome, as `Executor.submit` does. Its error goes only
   * to that promise, never to a run or the executor's `onError`. While `fn`
   * is queued, its `signal` drops it: it never runs and the strand goes on
   * with its later handlers. An async `fn` holds the strand until it
   * settles, as a posted handler does.
   *
   * @example Per-connection work, dropped when the connection dies
   * ```ts
   * import { Executor, Strand } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const strand = new Strand(io);
   * const alive = new AbortController();
   * const first = strand.submit(() => "reply 1", { signal: alive.signal });
   * const second = strand.submit(() => "reply 2", { signal: alive.signal });
   * const other = strand.submit(() => "other work");
   * alive.abort(); // before the strand ran anything
   * await io.run();
   * await assert.rejects(first, { name: "AbortError" });
   * await assert.rejects(second, { name: "AbortError" });
   * assert.equal(await other, "other work");
   * ```
   *
   * @typeParam T What `fn` returns or resolves to.
   * @param fn The function to run.
   * @param options A `signal` that drops `fn` while it is queued.
   * @returns A promise of `fn`'s outcome; if `signal` aborts before `fn`
   * started, it rejects with `signal.reason`.
   * @throws {TypeError} Rejects if `fn` is not a function or `signal` not
   * an `AbortSignal`; nothing is queued.
   */
  submit<T>(
    fn: () => T | PromiseLike<T>,
    options?: SubmitOptions,
  ): Promise<T> {
    return submit(
      this.#executor,
      this.#postBound,
      fn,
      options,
      "submit handler to strand",
    );
  }

  /**
   * Runs a handler inline when called from this strand's handler, or when
   * the strand is idle and the caller is a handler of its executor; otherwise
   * queues it like `post`.
   *
   * @example Usage
   * ```ts
   * import { Executor, Strand } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const strand = new Strand(io);
   * const log: string[] = [];
   * strand.post(() => {
   *   strand.dispatch(() => log.push("inline"));
   *   log.push("after");
   * });
   * await io.run();
   * assert.deepEqual(log, ["inline", "after"]);
   * ```
   *
   * @param handler The function to run.
   * @throws {TypeError} If `handler` is not a function.
   */
  dispatch(handler: () => unknown): void {
    if (typeof handler !== "function") {
      throw notAFunction("Cannot dispatch handler to strand as it", handler);
    }
    if (this.#depth > 0) {
      // Already inside this strand's handler (so inside the executor's):
      // run inline. An async handler holds the strand for its async part
      // too, and is given to the executor (inline as well) to count as work
      // and report a rejection.
      const result = handler();
      if (result !== undefined && isThenable(result)) {
        this.#held.push(result);
        this.#executor.dispatch(() => result);
      }
      return;
    }
    this.#push(handler);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#executor.dispatch(this.#turn);
    }
  }

  /**
   * Queues a handler on the strand; when the strand must be scheduled, it
   * is deferred on the executor (appended after the current handler).
   *
   * @example Usage
   * ```ts
   * import { Executor, Strand } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const strand = new Strand(io);
   * const log: string[] = [];
   * io.post(() => {
   *   strand.defer(() => log.push("deferred"));
   *   io.post(() => log.push("posted"));
   * });
   * await io.run();
   * assert.deepEqual(log, ["posted", "deferred"]);
   * ```
   *
   * @param handler The function to run.
   * @throws {TypeError} If `handler` is not a function; nothing is queued.
   */
  defer(handler: () => unknown): void {
    if (typeof handler !== "function") {
      throw notAFunction("Cannot defer handler to strand as it", handler);
    }
    this.#push(handler);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#executor.defer(this.#turn);
    }
  }

  // One turn of the strand, run as one handler of the executor: runs the
  // handlers that are ready, up to a batch, and stops early after a handler
  // that went async (its promise holds the strand), that stopped the
  // executor, or that threw. Returns the promise of an async handler, so
  // that the executor counts it as work and reports its rejection.
  #runTurn(): unknown {
    const executor = this.#executor;
    // Only the handlers queued before the turn began: later ones wait for
    // the next turn, so a strand that keeps feeding itself cannot hold the
    // executor.
    const size = turnLength(this.#queued(), internals.batchSize(executor));
    // Nothing else takes from the queue while a turn runs (the next turn is
    // queued only after this one), so its position is kept in locals and
    // written back once, at the end.
    let front = this.#front;
    let index = this.#index;
    let end = this.#end;
    let ran = 0;
    let result: unknown;
    let async = false;
    this.#depth++;
    try {
      do {
        if (index === end) {
          front = this.#nextFront(front);
          end = this.#end;
          index = 0;
        }
        const handler = front[index]!;
        // Clear the slot so the queue does not keep a handler alive.
        front[index++] = undefined;
        ran++;
        result = handler();
        if (result !== undefined && isThenable(result)) {
          async = true;
          break;
        }
      } while (
        ran < size && this.#held.length === 0 && !executor.stopped
      );
    } finally {
      this.#index = index;
      this.#depth--;
      if (async || this.#held.length !== 0) {
        const pending = this.#held;
        this.#held = [];
        if (async) pending.push(result as PromiseLike<unknown>);
        // Hold one unit of work until the next turn is queued, so that run()
        // cannot see the executor out of work while the strand waits.
        internals.workStarted(executor);
        Promise.allSettled(pending).then(this.#resume);
      } else {
        this.#scheduleNext();
      }
      // Also when a handler threw: the run counts the ones that ran.
      if (ran > 1) internals.ranBatch(executor, ran);
    }
    return async ? result : undefined;
  }

  // After a turn, or once its async handler settled: queues the next turn,
  // or marks the strand idle.
  #scheduleNext(): void {
    if (this.#queued() !== 0) this.#executor.post(this.#turn);
    else this.#scheduled = false;
  }

  #push(handler: () => unknown): void {
    let n = this.#backLength;
    if (n === BLOCK_LENGTH) n = this.#startBack();
    this.#back[n] = handler;
    this.#backLength = n + 1;
  }

  // The back block is full: it joins the full ones and a spare or new
  // block becomes the back. Returns the new #backLength, 0. Apart from
  // #push so that #push stays small enough to be inlined.
  #startBack(): number {
    this.#back = (this.#blocks ??= new BlockList()).append(this.#back);
    return this.#backLength = 0;
  }

  // The front block `used` is used up (its slots all cleared): the next
  // full block, or else the back block, becomes the front, and `used` a
  // spare or the new back (see _queue_blocks.ts). Apart from #runTurn to
  // keep its loop small: measured a little faster.
  #nextFront(used: Block): Block {
    if (this.#blocks !== undefined && this.#blocks.length !== 0) {
      this.#end = BLOCK_LENGTH;
      return this.#front = this.#blocks.shift(used);
    }
    const front = this.#front = this.#back;
    this.#end = this.#backLength;
    this.#back = used;
    this.#backLength = 0;
    return front;
  }

  #queued(): number {
    return this.#end - this.#index + this.#backLength +
      (this.#blocks === undefined ? 0 : this.#blocks.length * BLOCK_LENGTH);
  }
}
