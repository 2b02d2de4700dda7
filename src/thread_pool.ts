// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode ThreadPool}: asio's `thread_pool` for JavaScript. Tasks are the
 * exported functions (sync or async) of a plain ES module; each runs in one
 * of up to `threads` Web Workers, taken from one shared queue.
 *
 * Scheduling is work-conserving, as asio's scheduler: while a task waits
 * and fewer than `threads` workers are busy, a free worker takes it at once
 * (an idle one, or a new one started for it). One queue orders the waiting
 * tasks: higher `priority` first, submission order among equals. Idle
 * workers sleep in their event loop; a task wakes exactly one of them with
 * one message (no broadcast, no polling, no timers). Only when every thread
 * is busy are waiting tasks sent ahead to the busy workers, an equal share
 * each, so that one message carries many small tasks and a steady stream of
 * them costs a fraction of a message each. A worker runs its tasks one at a
 * time in the order received. Whether a task sent ahead has started is
 * decided in shared memory (`SharedArrayBuffer` + `Atomics`), so a task that
 * has not started is still the pool's to move: the first worker to be free
 * takes it back (no task waits behind a long or never-settling one while a
 * thread is free), a task of higher priority takes its place, an abort
 * removes it, and its worker's death puts it back in the queue.
 *
 * Beyond `run` and `map`: `stream` runs a generator export with
 * backpressure; `minThreads` keeps warm workers; `workerData` is given to
 * the module's `setup(workerData)` export once per worker; a worker is
 * recycled after `maxTasksPerWorker` tasks; the pool is an `EventTarget`
 * ("workerstart", "workerexit", "drain"); `stats` reports counters, wait
 * and run times and utilization.
 *
 * Guarantees:
 * - Every promise returned by `run` settles exactly once, whatever happens
 *   to a worker.
 * - A task that throws rejects with its own error (name, message, stack,
 *   extra properties such as `code`; custom error names included; causes
 *   followed 32 deep, a loop of causes cut where it closes; a property that
 *   cannot be read or cloned left out), and its worker lives on. Arguments
 *   and results travel by structured clone; `transfer` moves buffers instead
 *   of copying them. A task's own `postMessage` calls reach nobody: the pool
 *   ignores messages its workers' bootstrap did not send.
 * - A worker that dies (an uncaught error or unhandled rejection outside a
 *   task, `self.close()`, `Deno.exit()`, `process.exit()`) rejects the tasks
 *   it had started with {@linkcode WorkerCrashedError} (`cause` says why),
 *   its tasks that had not started go back to the queue, and a new worker
 *   takes over. Results are sent in batches (at least every half
 *   millisecond): a task that finished just before its worker died may still
 *   reject with `WorkerCrashedError`. If three workers in a row die before
 *   starting any task, the queued tasks reject instead of respawning forever.
 *   A `setup` export that throws rejects the tasks given to its worker with
 *   {@linkcode WorkerCrashedError} (its `cause` is the setup's error); the
 *   next worker starts after a wait that doubles each time (from
 *   `SETUP_RETRY_MS` to `SETUP_RETRY_MAX_MS`), never in a loop.
 * - A task module that fails to load rejects every task, present and future,
 *   with an error naming the module (its `cause` is the import error).
 * - `signal` and `timeoutMs`: a task not yet started is removed from the
 *   queue; a running one is rejected and its worker replaced (a running
 *   stream's generator is stopped instead, its `finally` run). The rejection
 *   is the signal's reason (a `DOMException` named "AbortError" by default)
 *   or a `DOMException` named "TimeoutError". A timeout may be as long as
 *   wanted (beyond `setTimeout`'s ~24.8 days too); `Infinity` means none.
 *   Under Deno 2.9 a worker stuck in a synchronous loop survives its
 *   termination (a Deno bug: `Worker.terminate()` does not stop it): its
 *   task still rejects and a new worker takes over, but the old thread keeps
 *   a core busy and the process alive. Bun stops it.
 * - Workers keep the process alive until the pool is closed: end it with
 *   `close()`, `terminate()` or `await using`.
 * - `close()` refuses new tasks, lets the queued and running ones finish,
 *   then ends the workers; it resolves when they have. A task that never
 *   settles keeps it pending until its timeout (`taskTimeoutMs` bounds every
 *   task) or until `terminate()`, which ends the workers at once, rejects
 *   every unsettled task with {@linkcode PoolClosedError} and resolves a
 *   pending `close()`. Neither leaves a worker or timer behind (under Deno,
 *   but for a worker stuck in a synchronous loop, see above).
 *
 * @example Usage
 * ```ts
 * import { ThreadPool } from "@iox/iox/thread-pool";
 * import assert from "node:assert/strict";
 *
 * // tasks.ts: export function add(a: number, b: number) { return a + b; }
 * const tasks = `data:text/javascript,export function add(a, b) { return a + b; }`;
 * await using pool = new ThreadPool(tasks, { threads: 2 });
 * assert.equal(await pool.run<number>("add", [1, 2]), 3);
 * assert.deepEqual(await pool.map<number>("add", [[1, 1], [2, 2]]), [2, 4]);
 * ```
 *
 * @module
 */

export * from "./pool/thread_pool.ts";
export { PoolClosedError, WorkerCrashedError } from "./errors.ts";
