// Copyright 2026 the iox authors. MIT license.
// Memory stays flat when 1M handlers go through an Executor (or a Strand):
// the heap in use after posting and after running 1M handlers, three times
// over, and during a 1M-long chain of handlers that re-post themselves.
// Report only, on either runtime:
//
//   deno run -A --v8-flags=--expose-gc bench/executor_memory.ts
//   bun bench/executor_memory.ts
//
// Exits with status 1 if the heap after the last cycle of each kind, or
// after the chain, is more than 1 MiB above the heap before the first cycle.
// (Bun may still count about one used-up array of the first cycle right
// after it, even with the executor's arrays emptied, and frees it during the
// next burst: the same with the queue code of before this script existed.)
import process from "node:process";
import { Executor, Strand } from "../src/executor.ts";

const M = 1_000_000;
const runtime = "Bun" in globalThis ? "bun" : "deno";
const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
const gc = bun ? () => bun.gc(true) : (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("run with --v8-flags=--expose-gc for a forced GC");
}

function heapMiB(): number {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}
const format = (mib: number): string => mib.toFixed(1);

let counter = 0;
const io = new Executor();
const strand = new Strand(io);
const before = heapMiB();
let worst = before; // after the last cycle of each kind, and the chain
console.log(`${runtime}: heap in use (MiB), 1M handlers posted then run`);
console.log(`  before: ${format(before)}`);
for (
  const [label, post] of [
    ["Executor", (h: () => void) => io.post(h)],
    ["Strand", (h: () => void) => strand.post(h)],
  ] as const
) {
  for (let cycle = 1; cycle <= 3; cycle++) {
    io.restart();
    // Each handler is its own closure: the closure is the only allocation a
    // post may cost.
    for (let i = 0; i < M; i++) post(() => counter += i);
    const posted = heapMiB();
    await io.run();
    const after = heapMiB();
    if (cycle === 3) worst = Math.max(worst, after);
    console.log(
      `  ${label} cycle ${cycle}: posted ${format(posted)}, after run ${
        format(after)
      }`,
    );
  }
}

let left = M;
const chainHeap: string[] = [];
const chain = (): void => {
  if (--left > 0) io.post(chain);
  if (left % 250_000 === 0) {
    const heap = heapMiB();
    worst = Math.max(worst, heap);
    chainHeap.push(format(heap));
  }
};
io.restart();
io.post(chain);
await io.run();
console.log(`  1M-long re-posting chain, every 250k: ${chainHeap.join(", ")}`);

const grown = worst - before;
console.log(
  `  largest heap after the last cycles and in the chain: ${format(worst)} (${
    grown <= 1 ? "flat" : "GREW"
  }: ${grown >= 0 ? "+" : ""}${format(grown)} MiB)`,
);
if (grown > 1) process.exitCode = 1;
