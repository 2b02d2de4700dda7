// Copyright 2026 the iox authors. MIT license.
// ThreadPool against raw postMessage (each group's baseline), piscina and
// poolifier-web-worker, 2 threads each. One file for both runtimes:
//   deno bench -A bench/thread_pool_bench.ts
//   bun tools/bench_bun.ts bench/thread_pool_bench.ts
//   deno run -A tools/bench_report.ts bench/thread_pool_bench.ts   (both)
// Importing it only creates the pools and workers and declares the benches;
// the first iterations of each bench are its warm-up. On a busy machine
// bench/thread_pool_rounds.ts gives steadier ratios.
import { bench } from "./_harness.ts";
import { ThreadPool } from "../src/thread_pool.ts";
import {
  contenders,
  fixture,
  mixedWorkload,
  RawStream,
  RawWorkers,
  STREAM_VALUES,
  streamSum,
  TASKS,
  THREADS,
  trivial,
} from "./_pool_workloads.ts";

const SPINS = 40;

const pools = contenders();
const iox = new ThreadPool(fixture("iox_tasks.ts"), { threads: THREADS });
const iox1 = new ThreadPool(fixture("iox_tasks.ts"), { threads: 1 });
const echo1 = new RawWorkers(fixture("echo_worker.ts"), 1);
const echo2 = new RawWorkers(fixture("echo_worker.ts"), THREADS);
const spinners = new RawWorkers(fixture("spin_worker.ts"), THREADS);
const rawStream = new RawStream();
const spins = Array.from({ length: SPINS }, () => 1);

let group = `${TASKS / 1000}k identity tasks, 2 threads`;
bench({
  name: "raw postMessage, 2 workers, one message per task",
  group,
  baseline: true,
  fn: async () => {
    await echo2.send(TASKS, (i) => i);
  },
});
for (const pool of pools) {
  bench({ name: pool.name, group, fn: async () => await trivial(pool) });
}

group = "one-task round trip";
bench({
  name: "raw postMessage round trip",
  group,
  baseline: true,
  fn: async () => {
    await echo1.send(1, (i) => i);
  },
});
for (const pool of pools) {
  bench({
    name: pool.name,
    group,
    fn: async () => {
      await pool.run("identity", 1);
    },
  });
}

group = `${SPINS} CPU-bound 1 ms tasks`;
bench({
  name: "raw postMessage, 2 workers, one message per task",
  group,
  baseline: true,
  fn: async () => {
    await spinners.send(SPINS, () => 1);
  },
});
bench({
  name: "iox ThreadPool, 1 thread",
  group,
  fn: async () => {
    await Promise.all(spins.map((ms) => iox1.run("spin", [ms])));
  },
});
for (const [index, pool] of pools.entries()) {
  bench({
    // The name of earlier runs (docs/bench.md), to compare with them.
    name: index === 0 ? `${pool.name}, 2 threads` : pool.name,
    group,
    fn: async () => {
      await Promise.all(spins.map((ms) => pool.run("spin", ms)));
    },
  });
}

group = "mixed: 400 tasks, every 10th 20 ms, the rest 0.2 ms";
for (const [index, pool] of pools.entries()) {
  bench({
    name: pool.name,
    group,
    baseline: index === 0,
    fn: async () => await mixedWorkload(pool),
  });
}

group = `stream of ${STREAM_VALUES / 1000}k small values`;
bench({
  name: "raw worker, one message per value",
  group,
  baseline: true,
  fn: async () => {
    await rawStream.sum(STREAM_VALUES);
  },
});
bench({
  name: "iox ThreadPool.stream",
  group,
  fn: async () => {
    await streamSum(iox);
  },
});

// Let a Deno process end once the benches ran (tools/bench_bun.ts exits).
globalThis.addEventListener?.("unload", () => {
  for (const pool of pools) void pool.close();
  void iox.terminate();
  void iox1.terminate();
  echo1.terminate();
  echo2.terminate();
  spinners.terminate();
  rawStream.terminate();
});
