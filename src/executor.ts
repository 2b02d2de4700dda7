// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode Executor}: Boost.Asio's `io_context` for Deno and Bun, a FIFO
 * queue of handlers run by {@linkcode Executor.prototype.run} with asio's
 * run/poll/stop/restart semantics and outstanding-work counting. This entry
 * also exports its companions: {@linkcode WorkGuard}, {@linkcode Strand} and
 * {@linkcode SteadyTimer}.
 *
 * Guarantees:
 * - **Ordering**: handlers run in the order they were posted (FIFO), one at a
 *   time, each to the end of its synchronous part. `dispatch` runs a handler
 *   inline only when called from a handler this executor is running; `defer`
 *   from inside a handler appends after that handler returns.
 * - **What runs where**: handlers run only inside `run`, `runOne`, `runFor`,
 *   `runUntil`, `poll` and `pollOne`, never inside `post`. `run` gives the
 *   event loop a turn (timers, I/O) after about every millisecond of handler
 *   time. The clock is read sparsely while handlers are fast, so a slice
 *   ends after the slow handler that used it up, or, when slow handlers
 *   follow thousands of fast ones, after at most as many slow handlers as
 *   fast ones ran before them. A handler that re-posts itself forever
 *   starves nobody; under Deno some of these turns wait for a timer, so that
 *   socket I/O flows too. When the queue is empty but work is outstanding it
 *   waits on a promise, without spinning, and wakes as soon as a handler is
 *   posted.
 * - **Outstanding work**: queued handlers, handlers' returned promises that
 *   have not settled, held {@linkcode WorkGuard}s, promises given to
 *   `track`, pending `SteadyTimer.asyncWait`s and strands waiting on an async
 *   handler. A run returns (and stops the executor) when there is none.
 * - **Throw**: a handler that throws, or whose returned promise rejects,
 *   makes the active `run` reject (`poll` throw) with that error. The
 *   executor is not stopped, no other handler is lost, and calling `run`
 *   again continues with the next handler. With the `onError` option the
 *   error goes to `onError` instead and the run goes on. A function given
 *   to `submit` is different: its error settles only the promise `submit`
 *   returned.
 * - **Stop**: `stop()` makes every active run return after the current
 *   handler. Queued handlers stay queued and run after `restart()` + `run()`.
 *
 * Unlike a blocked `io_context::run()` thread, a `run()` that waits only on
 * a work guard does not keep the process alive: the runtime exits when no
 * timer, I/O or other task is pending, as for any unsettled promise.
 *
 * @example Usage
 * ```ts
 * import { Executor } from "@iox/iox/executor";
 * import assert from "node:assert/strict";
 *
 * const io = new Executor();
 * const log: string[] = [];
 * io.post(() => {
 *   log.push("a");
 *   io.post(() => log.push("c"));
 * });
 * io.post(() => log.push("b"));
 * assert.equal(await io.run(), 3);
 * assert.deepEqual(log, ["a", "b", "c"]);
 * assert.ok(io.stopped);
 * ```
 *
 * @module
 */

export * from "./executor/executor.ts";
export * from "./executor/work_guard.ts";
export * from "./executor/strand.ts";
export * from "./executor/timer.ts";
