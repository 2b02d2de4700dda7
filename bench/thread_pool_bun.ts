// Copyright 2026 the iox authors. MIT license.
// The thread_pool_bench.ts comparisons on Bun (report only): `bun bench/thread_pool_bun.ts`.
import { ThreadPool } from "../src/thread_pool.ts";
import { Piscina } from "piscina";
import { FixedThreadPool } from "poolifier-web-worker";

const TASKS = 10_000;
const fixture = (name: string) =>
  new URL(`./fixtures/${name}`, import.meta.url);

async function measure(
  run: () => Promise<unknown>,
  rounds: number,
): Promise<number> {
  for (let i = 0; i < Math.min(rounds, 5); i++) await run();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await run();
  return (performance.now() - start) / rounds;
}

const inputs = Array.from({ length: TASKS }, (_, i) => i);
const iox = new ThreadPool(fixture("iox_tasks.ts"), { threads: 2 });
const iox1 = new ThreadPool(fixture("iox_tasks.ts"), { threads: 1 });
const results: Record<string, number> = {};
results.iox = await measure(
  () => Promise.all(inputs.map((i) => iox.run("identity", [i]))),
  30,
);

let piscina: Piscina | undefined;
try {
  piscina = new Piscina({
    filename: fixture("piscina_worker.ts").href,
    minThreads: 2,
    maxThreads: 2,
  });
  results.piscina = await measure(
    () => Promise.all(inputs.map((i) => piscina!.run(i))),
    5,
  );
} catch (error) {
  console.log("piscina cannot run on Bun here:", error);
}
let poolifier: FixedThreadPool<unknown, unknown> | undefined;
try {
  poolifier = new FixedThreadPool(2, fixture("poolifier_worker.ts"));
  results.poolifier = await measure(
    () => Promise.all(inputs.map((i) => poolifier!.execute(i))),
    5,
  );
} catch (error) {
  console.log("poolifier-web-worker cannot run on Bun here:", error);
}

const echo = new Worker(fixture("echo_worker.ts"), { type: "module" });
let echoed: (() => void) | undefined;
let left = 0;
echo.onmessage = () => {
  if (--left === 0) echoed!();
};
const echoMany = (n: number) =>
  new Promise<void>((resolve) => {
    echoed = resolve;
    left = n;
    for (let i = 0; i < n; i++) echo.postMessage(i);
  });
results.rawPipelined = await measure(() => echoMany(TASKS), 10);
const rawRtt = await measure(() => echoMany(1), 5000);
const ioxRtt = await measure(() => iox.run("identity", [1]), 5000);
const spins = Array.from({ length: 40 }, () => [1]);
const cpu1 = await measure(() => iox1.map("spin", spins), 20);
const cpu2 = await measure(() => iox.map("spin", spins), 20);

const perSecond = (ms: number) => Math.round(TASKS / ms * 1000);
console.log("10k identity tasks, 2 threads (tasks/s):");
for (const [name, ms] of Object.entries(results)) {
  console.log(
    `  ${name}: ${perSecond(ms)} (${
      (results[name]! / results.iox!).toFixed(1)
    }x iox time)`,
  );
}
console.log(
  `one-task round trip: raw ${(rawRtt * 1000).toFixed(1)} µs, iox ${
    (ioxRtt * 1000).toFixed(1)
  } µs (${(ioxRtt / rawRtt).toFixed(2)}x)`,
);
console.log(
  `40 x 1 ms tasks: 1 thread ${cpu1.toFixed(1)} ms, 2 threads ${
    cpu2.toFixed(1)
  } ms (${(cpu1 / cpu2).toFixed(2)}x)`,
);

echo.terminate();
await Promise.all([
  iox.close(),
  iox1.close(),
  piscina?.destroy(),
  poolifier?.destroy(),
]);
