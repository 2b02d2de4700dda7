// Copyright 2026 the iox authors. MIT license.
// ThreadPool against its peers, 2 threads each: `deno bench -A bench/thread_pool_bench.ts`.
import { ThreadPool } from "../src/thread_pool.ts";
import { Piscina } from "npm:piscina@5.3.2";
import { FixedThreadPool } from "npm:poolifier-web-worker@0.5.15";

const TASKS = 10_000;
const fixture = (name: string) =>
  new URL(`./fixtures/${name}`, import.meta.url);

const iox = new ThreadPool(fixture("iox_tasks.ts"), { threads: 2 });
const iox1 = new ThreadPool(fixture("iox_tasks.ts"), { threads: 1 });

// A peer that cannot start here is reported, not fatal.
async function peer<T>(
  name: string,
  start: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await start();
  } catch (error) {
    console.error(`${name} cannot run on this runtime:`, error);
    return undefined;
  }
}

const piscina = await peer("piscina", async () => {
  const pool = new Piscina({
    filename: fixture("piscina_worker.ts").href,
    minThreads: 2,
    maxThreads: 2,
  });
  await pool.run(1);
  return pool;
});
const poolifier = await peer("poolifier-web-worker", async () => {
  const pool = new FixedThreadPool(2, fixture("poolifier_worker.ts"));
  await pool.execute(1);
  return pool;
});

const echo = new Worker(fixture("echo_worker.ts"), { type: "module" });
let echoed: ((value: unknown) => void) | undefined;
let echoCount = 0;
echo.onmessage = (event) => {
  if (--echoCount === 0) echoed!(event.data);
};
function echoMany(n: number): Promise<unknown> {
  const { promise, resolve } = Promise.withResolvers<unknown>();
  echoed = resolve;
  echoCount = n;
  for (let i = 0; i < n; i++) echo.postMessage(i);
  return promise;
}
await echoMany(100);

const inputs = Array.from({ length: TASKS }, (_, i) => i);

Deno.bench({
  name: "iox ThreadPool",
  group: "10k identity tasks, 2 threads",
  baseline: true,
  async fn() {
    await Promise.all(inputs.map((i) => iox.run("identity", [i])));
  },
});
if (piscina) {
  Deno.bench({
    name: "piscina",
    group: "10k identity tasks, 2 threads",
    async fn() {
      await Promise.all(inputs.map((i) => piscina.run(i)));
    },
  });
}
if (poolifier) {
  Deno.bench({
    name: "poolifier-web-worker",
    group: "10k identity tasks, 2 threads",
    async fn() {
      await Promise.all(inputs.map((i) => poolifier.execute(i)));
    },
  });
}
Deno.bench({
  name: "raw postMessage to 1 worker, pipelined (floor)",
  group: "10k identity tasks, 2 threads",
  async fn() {
    await echoMany(TASKS);
  },
});

Deno.bench({
  name: "raw postMessage round trip (floor)",
  group: "one-task round trip",
  baseline: true,
  async fn() {
    await echoMany(1);
  },
});
Deno.bench({
  name: "iox ThreadPool",
  group: "one-task round trip",
  async fn() {
    await iox.run("identity", [1]);
  },
});

const spins = Array.from({ length: 40 }, () => [1]);
Deno.bench({
  name: "iox ThreadPool, 1 thread",
  group: "40 CPU-bound 1 ms tasks",
  baseline: true,
  async fn() {
    await iox1.map("spin", spins);
  },
});
Deno.bench({
  name: "iox ThreadPool, 2 threads",
  group: "40 CPU-bound 1 ms tasks",
  async fn() {
    await iox.map("spin", spins);
  },
});

// Let the process end once the benches ran.
globalThis.addEventListener("unload", () => {
  iox.terminate();
  iox1.terminate();
  echo.terminate();
  piscina?.destroy();
  poolifier?.destroy();
});
