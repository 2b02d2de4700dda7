// Copyright 2026 the iox authors. MIT license.
// Runs the bench/ suites under Bun and prints `deno bench --json`'s shape, so
// tools/bench_report.ts treats both runtimes alike.
//
// Usage: bun tools/bench_bun.ts [bench/x_bench.ts ...]   (default: all)
import { readdirSync } from "node:fs";
import process from "node:process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type BenchContext, declared } from "../bench/_harness.ts";

const WARMUP_MS = 300;
const BUDGET_MS = 1500;
const MIN_RUNS = 10;
const BATCH_MS = 1;

interface Sample {
  n: number;
  min: number;
  max: number;
  avg: number;
  p75: number;
  p99: number;
}

async function measure(
  fn: (b: BenchContext) => void | Promise<void>,
): Promise<Sample> {
  const times: number[] = [];
  let started = 0;
  let elapsed = -1;
  const context: BenchContext = {
    start() {
      started = performance.now();
    },
    end() {
      elapsed = performance.now() - started;
    },
  };
  let explicit = false;
  const once = async (): Promise<number> => {
    elapsed = -1;
    const t0 = performance.now();
    started = t0;
    await fn(context);
    const t1 = performance.now();
    if (elapsed >= 0) explicit = true;
    return elapsed >= 0 ? elapsed : t1 - t0;
  };
  let warm = 0;
  const w0 = performance.now();
  while (performance.now() - w0 < WARMUP_MS) {
    await once();
    warm++;
  }
  // Like Deno, time a batch of fast iterations at once so the clock's own
  // cost and resolution do not dominate.
  const batch = explicit
    ? 1
    : Math.max(1, Math.floor(BATCH_MS / ((performance.now() - w0) / warm)));
  const deadline = performance.now() + BUDGET_MS;
  while (times.length < MIN_RUNS || performance.now() < deadline) {
    if (batch === 1) {
      times.push(await once());
      continue;
    }
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await fn(context);
    times.push((performance.now() - t0) / batch);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number =>
    times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  // Nanoseconds, as Deno reports them.
  const ns = 1e6;
  return {
    n: times.length,
    min: times[0]! * ns,
    max: times[times.length - 1]! * ns,
    avg: times.reduce((s, t) => s + t, 0) / times.length * ns,
    p75: at(0.75) * ns,
    p99: at(0.99) * ns,
  };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  for (const name of readdirSync("bench").sort()) {
    if (name.endsWith("_bench.ts")) files.push(`bench/${name}`);
  }
}

const bunVersion = (globalThis as { Bun?: { version: string } }).Bun?.version;
const benches = [];
for (const file of files) {
  const origin = pathToFileURL(resolve(file)).href;
  const first = declared.length;
  await import(origin);
  for (const definition of declared.slice(first)) {
    let result;
    try {
      result = { ok: await measure(definition.fn) };
    } catch (error) {
      result = { failed: String(error) };
    }
    benches.push({
      origin,
      group: definition.group ?? null,
      name: definition.name,
      baseline: definition.baseline ?? false,
      results: [result],
    });
  }
}
console.log(JSON.stringify(
  {
    version: 1,
    runtime: `Bun/${bunVersion} ${process.arch}-${process.platform}`,
    cpu: "",
    benches,
  },
  null,
  2,
));
// Pools and sockets the suites opened are theirs to close; do not wait on
// a straggler to print the report.
process.exit(0);
