// Copyright 2026 the iox authors. MIT license.
// The pools and workloads shared by bench/thread_pool_bench.ts and
// bench/thread_pool_rounds.ts: iox, piscina and poolifier-web-worker with
// 2 threads each, and raw workers as the floor.
import { ThreadPool } from "../src/thread_pool.ts";
import { Piscina } from "piscina";
import { FixedThreadPool } from "poolifier-web-worker";

export const THREADS = 2;
export const TASKS = 10_000;
/** The mixed workload: every 10th task spins this long (ms)... */
export const MIXED_LONG_MS = 20;
/** ...the others this long. */
export const MIXED_SHORT_MS = 0.2;
export const MIXED_TASKS = 400;
export const STREAM_VALUES = 100_000;

/** The mixed workload's task lengths, in submission order. */
export const mixed: number[] = Array.from(
  { length: MIXED_TASKS },
  (_, i) => i % 10 === 0 ? MIXED_LONG_MS : MIXED_SHORT_MS,
);

/**
 * The shortest possible makespan of the mixed workload on THREADS threads:
 * max(total work / threads, longest task).
 */
export const MIXED_IDEAL_MS = Math.max(
  mixed.reduce((a, b) => a + b, 0) / THREADS,
  MIXED_LONG_MS,
);

export const fixture = (name: string): URL =>
  new URL(`./fixtures/${name}`, import.meta.url);

/** Workers that answer each message with one message: no pool at all. */
export class RawWorkers {
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

/** A worker that posts each value of a stream as its own message. */
export class RawStream {
  #worker = new Worker(fixture("raw_stream_worker.ts"), { type: "module" });

  /** Receives `count` values; resolves with their sum. */
  sum(count: number): Promise<number> {
    const { promise, resolve } = Promise.withResolvers<number>();
    let sum = 0;
    this.#worker.onmessage = (event: MessageEvent<number | null>) => {
      if (event.data === null) resolve(sum);
      else sum += event.data;
    };
    this.#worker.postMessage(count);
    return promise;
  }

  terminate(): void {
    this.#worker.terminate();
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

/** The pools under comparison; `run(name, arg)` runs one task on each. */
export interface Contender {
  name: string;
  run(task: "identity" | "spin", arg: number): Promise<unknown>;
  close(): Promise<unknown>;
}

/** iox, then piscina and poolifier-web-worker where they run. */
export function contenders(): Contender[] {
  const iox = new ThreadPool(fixture("iox_tasks.ts"), { threads: THREADS });
  const list: Contender[] = [{
    name: "iox ThreadPool",
    run: (task, arg) => iox.run(task, [arg]),
    close: () => iox.terminate(),
  }];
  const piscina = peer("piscina", () =>
    new Piscina({
      filename: fixture("piscina_worker.ts").href,
      minThreads: THREADS,
      maxThreads: THREADS,
    }));
  if (piscina) {
    list.push({
      name: "piscina",
      run: (task, arg) =>
        task === "identity"
          ? piscina.run(arg)
          : piscina.run(arg, { name: task }),
      close: () => piscina.destroy(),
    });
  }
  const poolifier = peer(
    "poolifier-web-worker",
    () => new FixedThreadPool(THREADS, fixture("poolifier_worker.ts")),
  );
  if (poolifier) {
    list.push({
      name: "poolifier-web-worker",
      run: (task, arg) => poolifier.execute(arg, task),
      close: () => poolifier.destroy(),
    });
  }
  return list;
}

/** 10k trivial tasks at once. */
export async function trivial(pool: Contender): Promise<void> {
  const runs: Promise<unknown>[] = [];
  for (let i = 0; i < TASKS; i++) runs.push(pool.run("identity", i));
  await Promise.all(runs);
}

/** The mixed workload, all submitted at once. */
export async function mixedWorkload(pool: Contender): Promise<void> {
  await Promise.all(mixed.map((ms) => pool.run("spin", ms)));
}

/** Reads a stream of STREAM_VALUES values from an iox pool; their sum. */
export async function streamSum(pool: ThreadPool): Promise<number> {
  let sum = 0;
  for await (const value of pool.stream<number>("count", [STREAM_VALUES])) {
    sum += value;
  }
  return sum;
}
