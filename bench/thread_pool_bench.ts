// Copyright 2026 the iox authors. MIT license.
// ThreadPool against raw postMessage (each group's baseline), piscina and
// poolifier-web-worker, 2 threads each. One file for both runtimes:
//   deno bench -A bench/thread_pool_bench.ts
//   bun tools/bench_bun.ts bench/thread_pool_bench.ts
//   deno run -A tools/bench_report.ts bench/thread_pool_bench.ts   (both)
// Importing it only creates the pools and workers and declares the benches;
// the first iterations of each bench are its warm-up.
import { bench } from "./_harness.ts";
import { ThreadPool } from "../src/thread_pool.ts";
import { Piscina } from "piscina";
import { FixedThreadPool } from "poolifier-web-worker";

const TASKS = 10_000;
const SPINS = 40;
const fixture = (name: string): URL =>
  new URL(`./fixtures/${name}`, import.meta.url);

/** Workers that answer each message with one message: no pool at all. */
class RawWorkers {
  #workers: Worker[];
  #left = 0;
  #done: (() => void) | undefined;

  constructor(module: URL, count: number) {
    this.#workers = Array.from({ length: count }, () => {
      const worker = new Worker(module, { type: "module" });
      worker.onmessage = () => {
        if (--this.#left === 0) this.#done!();
      };
      return worker;
    });
  }

  /** Sends `messages` round-robin, all at once; resolves when all came back. */
  send(messages: number, payload: (i: number) => unknown): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#done = resolve;
    this.#left = messages;
    const workers = this.#workers;
    for (let i = 0; i < messages; i++) {
      workers[i % workers.length]!.postMessage(payload(i));
    }
    return promise;
  }

  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}

// A peer that cannot start on this runtime is reported, not fatal.
function peer<T>(name: string, create: () => T): T | undefined {
  try {
    return create();
  } catch (error) {
    console.error(`${name} cannot run on this runtime:`, error);
    return undefined;
  }
}

const iox = new ThreadPool(fixture("iox_tasks.ts"), { threads: 2 });
const iox1 = new ThreadPool(fixture("iox_tasks.ts"), { threads: 1 });
const piscina = peer("piscina", () =>
  new Piscina({
    filename: fixture("piscina_worker.ts").href,
    minThreads: 2,
    maxThreads: 2,
  }));
const poolifier = peer(
  "poolifier-web-worker",
  () => new FixedThreadPool(2, fixture("poolifier_worker.ts")),
);
const echo1 = new RawWorkers(fixture("echo_worker.ts"), 1);
const echo2 = new RawWorkers(fixture("echo_worker.ts"), 2);
const spinners = new RawWorkers(fixture("spin_worker.ts"), 2);

const inputs = Array.from({ length: TASKS }, (_, i) => i);
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
bench({
  name: "iox ThreadPool",
  group,
  fn: async () => {
    await Promise.all(inputs.map((i) => iox.run("identity", [i])));
  },
});
if (piscina) {
  bench({
    name: "piscina",
    group,
    fn: async () => {
      await Promise.all(inputs.map((i) => piscina.run(i)));
    },
  });
}
if (poolifier) {
  bench({
    name: "poolifier-web-worker",
    group,
    fn: async () => {
      await Promise.all(inputs.map((i) => poolifier.execute(i, "identity")));
    },
  });
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
bench({
  name: "iox ThreadPool",
  group,
  fn: async () => {
    await iox.run("identity", [1]);
  },
});
if (piscina) {
  bench({
    name: "piscina",
    group,
    fn: async () => {
      await piscina.run(1);
    },
  });
}
if (poolifier) {
  bench({
    name: "poolifier-web-worker",
    group,
    fn: async () => {
      await poolifier.execute(1, "identity");
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
  name: "iox ThreadPool, 2 threads",
  group,
  fn: async () => {
    await Promise.all(spins.map((ms) => iox.run("spin", [ms])));
  },
});
bench({
  name: "iox ThreadPool, 1 thread",
  group,
  fn: async () => {
    await Promise.all(spins.map((ms) => iox1.run("spin", [ms])));
  },
});
if (piscina) {
  bench({
    name: "piscina",
    group,
    fn: async () => {
      await Promise.all(spins.map((ms) => piscina.run(ms, { name: "spin" })));
    },
  });
}
if (poolifier) {
  bench({
    name: "poolifier-web-worker",
    group,
    fn: async () => {
      await Promise.all(spins.map((ms) => poolifier.execute(ms, "spin")));
    },
  });
}

// Let a Deno process end once the benches ran (tools/bench_bun.ts exits).
globalThis.addEventListener?.("unload", () => {
  void iox.terminate();
  void iox1.terminate();
  void piscina?.destroy();
  void poolifier?.destroy();
  echo1.terminate();
  echo2.terminate();
  spinners.terminate();
});
