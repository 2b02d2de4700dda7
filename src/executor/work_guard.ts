// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode WorkGuard}: asio's `executor_work_guard`. While a guard owns
 * work, its executor has outstanding work, so `run()` waits for handlers
 * instead of returning when its queue is empty. `reset()` (or leaving a
 * `using` block) gives the work up; if it was the last, a waiting `run()`
 * returns. Resetting twice is harmless.
 *
 * @module
 */
import type { Executor } from "./executor.ts";
import { assertExecutor, internals } from "./_internals.ts";

/**
 * Keeps an {@linkcode Executor}'s `run()` waiting until reset or disposed.
 * Usually made by `executor.makeWorkGuard()`.
 *
 * @example Usage
 * ```ts
 * import { Executor } from "@iox/iox/executor";
 * import assert from "node:assert/strict";
 *
 * const io = new Executor();
 * {
 *   using guard = io.makeWorkGuard();
 *   assert.equal(guard.ownsWork, true);
 *   const done = io.run();
 *   setTimeout(() => io.post(() => {}), 1); // wakes the waiting run
 *   setTimeout(() => io.stop(), 5);
 *   assert.equal(await done, 1);
 * } // disposed here: the work is released
 * io.restart();
 * assert.equal(await io.run(), 0); // no work left
 * ```
 */
export class WorkGuard {
  #executor: Executor | undefined;

  /**
   * Makes a guard that owns one unit of `executor`'s outstanding work.
   *
   * @param executor The executor to keep busy.
   * @throws {TypeError} If `executor` is not an {@linkcode Executor}.
   */
  constructor(executor: Executor) {
    assertExecutor(executor, "Cannot create work guard as 'executor'");
    internals.workStarted(executor);
    this.#executor = executor;
  }

  /**
   * Whether this guard still owns its unit of work.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const guard = new Executor().makeWorkGuard();
   * assert.equal(guard.ownsWork, true);
   * guard.reset();
   * assert.equal(guard.ownsWork, false);
   * ```
   *
   * @returns True until `reset()` or dispose.
   */
  get ownsWork(): boolean {
    return this.#executor !== undefined;
  }

  /**
   * Gives up the unit of work. If it was the executor's last outstanding
   * work, a waiting run returns. Does nothing the second time.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const io = new Executor();
   * const guard = io.makeWorkGuard();
   * const done = io.run();
   * setTimeout(() => guard.reset(), 1);
   * assert.equal(await done, 0);
   * assert.equal(io.stopped, true);
   * ```
   */
  reset(): void {
    const executor = this.#executor;
    if (executor === undefined) return;
    this.#executor = undefined;
    internals.workFinished(executor);
  }

  /**
   * Same as `reset()`, for `using guard = executor.makeWorkGuard()`.
   *
   * @example Usage
   * ```ts
   * import { Executor } from "@iox/iox/executor";
   * import assert from "node:assert/strict";
   *
   * const guard = new Executor().makeWorkGuard();
   * guard[Symbol.dispose]();
   * assert.equal(guard.ownsWork, false);
   * ```
   */
  [Symbol.dispose](): void {
    this.reset();
  }
}
