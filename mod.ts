// Copyright 2026 the iox authors. MIT license.
/**
 * iox brings proven C/C++ concurrency designs to Deno and Bun:
 *
 * - {@linkcode Executor} (with {@linkcode Strand}, {@linkcode WorkGuard} and
 *   {@linkcode SteadyTimer}): Boost.Asio's `io_context`, a FIFO queue of
 *   handlers with asio's run/poll/stop/restart semantics.
 * - {@linkcode ThreadPool}: asio's scheduler across Web Workers; one shared
 *   queue, a post wakes exactly one idle worker, and every task settles
 *   whatever happens to its worker.
 * - {@linkcode Task}: QEMU's `QIOTask`; work in a worker thread (or any async
 *   operation), then exactly one completion callback on the owning event
 *   loop.
 * - {@linkcode NetListener} (with {@linkcode Connection} and
 *   {@linkcode watch}): QEMU's `QIONetListener`; one client callback for
 *   many listening sockets, on `Deno.listen` and `Bun.listen`.
 *
 * What runs where: executor handlers run on the thread that calls `run()`;
 * pool tasks run in workers, and their promises settle on the calling
 * thread; a task's callback runs on its executor or on the event loop that
 * created it, never in a worker; listener handlers run on this thread or
 * on the executor given to them.
 *
 * On throw: a throwing handler makes the executor's `run()` reject without
 * stopping it or losing queued handlers; a throwing pool task rejects with
 * its own error and its worker lives on; a throwing client handler never
 * stops the listener. On stop and close: `Executor.stop()` keeps queued
 * handlers for `restart()`; `ThreadPool.close()` lets queued tasks finish
 * and `terminate()` rejects them with {@linkcode PoolClosedError};
 * `NetListener.disconnect()` stops accepting and leaves accepted connections
 * open. A worker that dies rejects its started tasks with
 * {@linkcode WorkerCrashedError}. Each entry point (`@iox/iox/executor`,
 * `@iox/iox/thread-pool`, `@iox/iox/task`, `@iox/iox/listener`) documents
 * its guarantees in full.
 *
 * @example Work in a thread, completion on an executor
 * ```ts
 * import { Executor, Task, ThreadPool } from "@iox/iox";
 * import assert from "node:assert/strict";
 *
 * const source = `export function double(x) { return 2 * x; }`;
 * const url = `data:text/javascript,${encodeURIComponent(source)}`;
 * await using pool = new ThreadPool(url, { threads: 1 });
 * const io = new Executor();
 * const results: number[] = [];
 * for (const x of [1, 2, 3]) {
 *   new Task<number>(x, (task) => results.push(task.result!), { executor: io })
 *     .runInThread(pool, "double", [x]);
 * }
 * assert.equal(await io.run(), 3);
 * assert.deepEqual(results.sort(), [2, 4, 6]);
 * ```
 *
 * @module
 */
export * from "./src/errors.ts";
export * from "./src/executor.ts";
export * from "./src/thread_pool.ts";
export * from "./src/task.ts";
export * from "./src/listener.ts";
