// Copyright 2026 the iox authors. MIT license.
// The "post+run 10k handlers" comparison and a memory check, runnable on both
// runtimes (Deno.bench does not exist on Bun):
//
//   deno run -A --v8-flags=--expose-gc bench/executor_portable.ts
//   bun bench/executor_portable.ts
//
// Throughput: the median of many timed iterations per variant, after warm-up,
// variants interleaved so that machine noise hits them alike. Memory: heap in
// use after posting and after running 1M handlers, three times over, and
// during a 1M-long chain of handlers that re-post themselves.
import process from "node:process";
import PQueue from "p-queue";
import { Executor, Strand } from "../src/executor.ts";

const N = 10_000;
let counter = 0;
const handler = (): void => {
  counter++;
};
const io = new Executor();
const strandIo = new Executor();
const strand = new Strand(strandIo);

const variants: [string, () => unknown][] = [
  ["raw array-of-closures drain loop", () => {
    const queue: (() => void)[] = [];
    for (let i = 0; i < N; i++) queue.push(handler);
    for (let i = 0; i < queue.length; i++) queue[i]!();
  }],
  ["Executor run()", () => {
    io.restart();
    for (let i = 0; i < N; i++) io.post(handler);
    return io.run();
  }],
  ["Executor poll()", () => {
    io.restart();
    for (let i = 0; i < N; i++) io.post(handler);
    io.poll();
  }],
  ["Strand on an Executor", () => {
    strandIo.restart();
    for (let i = 0; i < N; i++) strand.post(handler);
    return strandIo.run();
  }],
  ["queueMicrotask", () =>
    new Promise<void>((resolve) => {
      for (let i = 0; i < N - 1; i++) queueMicrotask(handler);
      queueMicrotask(() => {
        handler();
        resolve();
      });
    })],
  ["p-queue (concurrency 1)", () => {
    const queue = new PQueue({ concurrency: 1 });
    for (let i = 0; i < N; i++) queue.add(handler);
    return queue.onIdle();
  }],
];

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (let round = 0; round < 12; round++) {
  for (const [name, fn] of variants) {
    const reps = name.startsWith("p-queue") ? 2 : 50;
    for (let i = 0; i < reps; i++) await fn();
    if (round < 2) continue; // warm-up
    const start = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    samples.get(name)!.push((performance.now() - start) / reps * 1000);
  }
}
const runtime = "Bun" in globalThis ? "bun" : "deno";
const raw = median(samples.get(variants[0]![0])!);
const pQueue = median(samples.get("p-queue (concurrency 1)")!);
console.log(`post+run 10k handlers (${runtime}, median µs per 10k)`);
for (const [name] of variants) {
  const time = median(samples.get(name)!);
  console.log(
    `  ${name.padEnd(34)} ${time.toFixed(1).padStart(9)} µs  ${
      (raw / time).toFixed(2)
    }x raw  ${(pQueue / time).toFixed(0)}x p-queue`,
  );
}

// Memory: 1M handlers, each its own closure (the closure is the only
// allocation a post may cost).
const gc = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun
  ? () =>
    (globalThis as unknown as { Bun: { gc(force: boolean): void } }).Bun.gc(
      true,
    )
  : (globalThis as { gc?: () => void }).gc;
function heapMiB(): string {
  gc?.();
  return (process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
}
const M = 1_000_000;
const memory = new Executor();
console.log(
  `memory, 1M handlers posted then run (${runtime}, heap MiB${
    gc ? "" : ", no forced GC"
  })`,
);
console.log(`  before: ${heapMiB()}`);
for (let cycle = 1; cycle <= 3; cycle++) {
  memory.restart();
  for (let i = 0; i < M; i++) memory.post(() => counter += i);
  const posted = heapMiB();
  await memory.run();
  console.log(`  cycle ${cycle}: posted ${posted}, after run ${heapMiB()}`);
}
let left = M;
const chain = (): void => {
  if (--left > 0) memory.post(chain);
  if (left % 250_000 === 0) chainHeap.push(heapMiB());
};
const chainHeap: string[] = [];
memory.restart();
memory.post(chain);
await memory.run();
console.log(`  1M-long re-posting chain, every 250k: ${chainHeap.join(", ")}`);
