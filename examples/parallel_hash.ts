// Copyright 2026 the iox authors. MIT license.
/**
 * CPU-heavy hashing moved off the main thread with `Task.runInThread`,
 * while the main event loop keeps serving (here: a ticking interval).
 *
 * Run: deno run --allow-read examples/parallel_hash.ts   (or: bun examples/parallel_hash.ts)
 *
 * @module
 */
import { Executor, Task, ThreadPool } from "../mod.ts";

/** What {@linkcode hashAll} found. */
export interface HashReport {
  /** One hex digest per job, in job order. */
  digests: string[];
  /** How often the main loop's interval fired while the workers hashed. */
  ticks: number;
}

/**
 * Hashes `jobs` buffers of `megabytes` each in a pool of `threads` workers;
 * each task's callback runs on an executor on this thread.
 */
export async function hashAll(
  jobs = 4,
  megabytes = 8,
  threads = 2,
): Promise<HashReport> {
  await using pool = new ThreadPool(
    new URL("./hash_worker.ts", import.meta.url),
    { threads },
  );
  const executor = new Executor();
  const digests: string[] = new Array(jobs);
  let ticks = 0;
  const interval = setInterval(() => ticks++, 1);
  try {
    for (let job = 0; job < jobs; job++) {
      const task = new Task<string>(job, (t) => {
        const error = t.propagateError();
        if (error !== undefined) throw error;
        digests[t.source as number] = t.result!;
      }, { executor });
      task.runInThread(pool, "digest", [job + 1, megabytes]);
    }
    // Resolves once every task's callback ran: they are its outstanding work.
    await executor.run();
  } finally {
    clearInterval(interval);
  }
  return { digests, ticks };
}

if (import.meta.main) {
  const started = performance.now();
  const { digests, ticks } = await hashAll();
  const ms = (performance.now() - started).toFixed(0);
  for (const [job, digest] of digests.entries()) {
    console.log(`job ${job}: ${digest}`);
  }
  console.log(
    `${digests.length} jobs in ${ms} ms; main loop ticked ${ticks} times meanwhile`,
  );
}
