// Copyright 2026 the iox authors. MIT license.
// The pool comparisons of bench/thread_pool_bench.ts as interleaved rounds,
// whose ratios hold steadier on a busy machine than one long run per pool:
//   deno run -A bench/thread_pool_rounds.ts [rounds]
//   bun bench/thread_pool_rounds.ts [rounds]
//
// Each round runs each workload on each pool in turn (the order reversed
// every other round). Printed per workload: each pool's median time, its
// ratio to iox (median of the per-round ratios, above 1: iox is faster,
// with the interquartile range), and for the mixed workload the makespan
// over the ideal bound max(total work / threads, longest task).
import process from "node:process";
import { ThreadPool } from "../src/thread_pool.ts";
import {
  contenders,
  fixture,
  MIXED_IDEAL_MS,
  mixedWorkload,
  RawStream,
  STREAM_VALUES,
  streamSum,
  THREADS,
  trivial,
} from "./_pool_workloads.ts";
import { countArg, quantile } from "./_stats.ts";

const WARMUP = 3;
const rounds = countArg(0, "rounds", 10);

interface Entry {
  name: string;
  run: () => Promise<unknown>;
  times: number[];
}

const pools = contenders();
const iox = new ThreadPool(fixture("iox_tasks.ts"), { threads: THREADS });
const raw = new RawStream();
const workloads: [string, Entry[]][] = [
  [
    "10k identity tasks",
    pools.map((pool) => ({
      name: pool.name,
      run: () => trivial(pool),
      times: [],
    })),
  ],
  [
    "mixed: 400 tasks, every 10th 20 ms, the rest 0.2 ms",
    pools.map((pool) => ({
      name: pool.name,
      run: () => mixedWorkload(pool),
      times: [],
    })),
  ],
  [
    `stream of ${STREAM_VALUES / 1000}k small values`,
    [
      { name: "iox ThreadPool.stream", run: () => streamSum(iox), times: [] },
      {
        name: "raw worker, one message per value",
        run: () => raw.sum(STREAM_VALUES),
        times: [],
      },
    ],
  ],
];

for (const [, entries] of workloads) {
  for (const entry of entries) {
    for (let i = 0; i < WARMUP; i++) await entry.run();
  }
}
for (let round = 0; round < rounds; round++) {
  for (const [, entries] of workloads) {
    const order = round % 2 === 0 ? entries : entries.toReversed();
    for (const entry of order) {
      const start = performance.now();
      await entry.run();
      entry.times.push(performance.now() - start);
    }
  }
}

const runtime = "Bun" in globalThis
  ? `Bun ${process.versions.bun}`
  : `Deno ${Deno.version.deno}`;
console.log(`${runtime}: ${rounds} rounds, ${THREADS} threads`);
for (const [workload, entries] of workloads) {
  console.log(`\n${workload}`);
  const reference = entries[0]!;
  for (const entry of entries) {
    const ratios = entry.times.map((time, round) =>
      time / reference.times[round]!
    );
    let line = `  ${entry.name.padEnd(36)} ${
      quantile(entry.times, 0.5).toFixed(1).padStart(8)
    } ms`;
    if (entry !== reference) {
      line += `  ${
        quantile(ratios, 0.5).toFixed(2)
      }x the time of ${reference.name} (IQR ${
        quantile(ratios, 0.25).toFixed(2)
      }-${quantile(ratios, 0.75).toFixed(2)})`;
    }
    if (workload.startsWith("mixed")) {
      line += `  makespan / ideal ${
        (quantile(entry.times, 0.5) / MIXED_IDEAL_MS).toFixed(2)
      } (ideal ${MIXED_IDEAL_MS.toFixed(0)} ms)`;
    }
    console.log(line);
  }
}

for (const pool of pools) await pool.close();
await iox.terminate();
raw.terminate();
