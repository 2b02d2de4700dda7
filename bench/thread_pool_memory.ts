// Copyright 2026 the iox authors. MIT license.
// How much memory 100k queued tasks take, with and without priorities
// (report only, Deno or Bun):
//   deno run -A --v8-flags=--expose-gc bench/thread_pool_memory.ts
//   bun bench/thread_pool_memory.ts
// Both workers are blocked while the tasks are submitted, so all of them
// wait in the queue (or in a worker's batch) when memory is measured. The
// growth counts the caller's own share too: one arguments array and one
// promise per task.
import { ThreadPool } from "../src/thread_pool.ts";

const COUNT = 100_000;
const MB = 2 ** 20;
const g = globalThis as unknown as {
  gc?: () => void;
  Bun?: { gc(force: boolean): void };
  process: { memoryUsage(): { rss: number; heapUsed: number } };
};
function memory(): { rss: number; heap: number } {
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
  const { rss, heapUsed } = g.process.memoryUsage();
  return { rss, heap: heapUsed };
}

const pool = new ThreadPool(
  new URL("./fixtures/iox_tasks.ts", import.meta.url),
  { threads: 2 },
);
await pool.map("identity", [[0], [1]]);
const gate = new Int32Array(new SharedArrayBuffer(8));
const blockers = [
  pool.run("block", [gate.buffer]),
  pool.run("block", [gate.buffer]),
];
for (let seen = 0; seen < 2;) {
  const wait = Atomics.waitAsync(gate, 1, seen, 10_000);
  if (wait.async) await wait.value;
  seen = Atomics.load(gate, 1);
}
const show = (bytes: number) =>
  `${(bytes / MB).toFixed(1)} MB (${(bytes / COUNT).toFixed(0)} B per task)`;
// Plain tasks, then tasks with 8 different priorities.
const rounds: [string, (i: number) => number][] = [
  ["no priority", () => 0],
  ["8 priorities", (i) => i % 8],
];
const tasks: Promise<unknown>[] = [];
for (const [label, priority] of rounds) {
  const before = memory();
  for (let i = 0; i < COUNT; i++) {
    tasks.push(pool.run("identity", [i], { priority: priority(i) }));
  }
  await new Promise((resolve) => setTimeout(resolve, 0));
  const after = memory();
  console.log(
    `${label}: ${pool.stats.queued} tasks queued: RSS grew ${
      show(after.rss - before.rss)
    }, heap ${g.gc || g.Bun ? "after GC " : ""}grew ${
      show(after.heap - before.heap)
    }`,
  );
}
Atomics.store(gate, 0, 1);
Atomics.notify(gate, 0);
await Promise.all([...blockers, ...tasks]);
await pool.close();
