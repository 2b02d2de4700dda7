// Copyright 2026 the iox authors. MIT license.
// How much memory 100k queued tasks take (report only, Deno or Bun):
// `deno run -A bench/thread_pool_memory.ts` or `bun bench/thread_pool_memory.ts`.
import { ThreadPool } from "../src/thread_pool.ts";

const COUNT = 100_000;
const rss = (): number =>
  (globalThis as unknown as { process: { memoryUsage(): { rss: number } } })
    .process.memoryUsage().rss;

const pool = new ThreadPool(
  new URL("./fixtures/iox_tasks.ts", import.meta.url),
  {
    threads: 2,
  },
);
await pool.run("identity", [0]);
const before = rss();
// Keep both workers busy so the tasks stay queued while we measure.
const blockers = [pool.run("spin", [300]), pool.run("spin", [300])];
const tasks = Array.from(
  { length: COUNT },
  (_, i) => pool.run("identity", [i]),
);
await new Promise((resolve) => setTimeout(resolve, 50));
const queued = pool.stats.queued;
const grown = (rss() - before) / 2 ** 20;
await Promise.all([...blockers, ...tasks]);
console.log(
  `${queued} tasks queued: RSS grew ${grown.toFixed(1)} MB (${
    (grown * 2 ** 20 / COUNT).toFixed(0)
  } bytes per task)`,
);
await pool.close();
