// Copyright 2026 the iox authors. MIT license.
// Executor throughput next to its peers, on both runtimes:
//
//   deno bench -A bench/executor_bench.ts
//   bun tools/bench_bun.ts bench/executor_bench.ts
//
// Every variant runs the same shared handler, so the numbers compare queue
// machinery, not closure allocation. Memory: bench/executor_memory.ts.
//
// Order matters: the runners measure one bench at a time, in declaration
// order, and a bench that feeds the executor's code other handler functions
// (strands, chains, timers) changes the engine's type feedback for the
// benches run after it, as handlers of many kinds do in real programs.
import PQueue from "p-queue";
import { Executor, SteadyTimer, Strand } from "../src/executor.ts";
import { bench } from "./_harness.ts";

const N = 10_000;
let counter = 0;
const handler = (): void => {
  counter++;
};

// Executors live as long as the program in real use: reuse them across
// iterations (restart() after each run that ran out of work).
const io = new Executor();
const strandIo = new Executor();
const strand = new Strand(strandIo);

bench({
  name: "raw array-of-closures drain loop",
  group: "post+run 10k handlers",
  baseline: true,
  fn() {
    const queue: (() => void)[] = [];
    for (let i = 0; i < N; i++) queue.push(handler);
    for (let i = 0; i < queue.length; i++) queue[i]!();
  },
});

bench({
  name: "Executor run()",
  group: "post+run 10k handlers",
  async fn() {
    io.restart();
    for (let i = 0; i < N; i++) io.post(handler);
    await io.run();
  },
});

bench({
  name: "Executor poll()",
  group: "post+run 10k handlers",
  fn() {
    io.restart();
    for (let i = 0; i < N; i++) io.post(handler);
    io.poll();
  },
});

bench({
  name: "Strand on an Executor",
  group: "post+run 10k handlers",
  async fn() {
    strandIo.restart();
    for (let i = 0; i < N; i++) strand.post(handler);
    await strandIo.run();
  },
});

bench({
  name: "queueMicrotask",
  group: "post+run 10k handlers",
  async fn() {
    for (let i = 0; i < N - 1; i++) queueMicrotask(handler);
    await new Promise<void>((resolve) =>
      queueMicrotask(() => {
        handler();
        resolve();
      })
    );
  },
});

bench({
  name: "p-queue (concurrency 1)",
  group: "post+run 10k handlers",
  async fn() {
    const queue = new PQueue({ concurrency: 1 });
    for (let i = 0; i < N; i++) queue.add(handler);
    await queue.onIdle();
  },
});

bench({
  name: "Executor run(), new each iteration",
  group: "post+run 10k handlers",
  async fn() {
    const fresh = new Executor();
    for (let i = 0; i < N; i++) fresh.post(handler);
    await fresh.run();
  },
});

// The same with handlers of five different functions, as in real programs:
// no loop can inline the handler any more, raw or not, and what is left is
// the cost of the queue itself.
const kinds = [
  (): void => {
    counter += 1;
  },
  (): void => {
    counter += 2;
  },
  (): void => {
    counter += 3;
  },
  (): void => {
    counter += 4;
  },
  (): void => {
    counter += 5;
  },
];

bench({
  name: "raw array-of-closures drain loop",
  group: "post+run 10k handlers of 5 functions",
  baseline: true,
  fn() {
    const queue: (() => void)[] = [];
    for (let i = 0; i < N; i++) queue.push(kinds[i % 5]!);
    for (let i = 0; i < queue.length; i++) queue[i]!();
  },
});

bench({
  name: "Executor run()",
  group: "post+run 10k handlers of 5 functions",
  async fn() {
    io.restart();
    for (let i = 0; i < N; i++) io.post(kinds[i % 5]!);
    await io.run();
  },
});

bench({
  name: "Strand on an Executor",
  group: "post+run 10k handlers of 5 functions",
  async fn() {
    strandIo.restart();
    for (let i = 0; i < N; i++) strand.post(kinds[i % 5]!);
    await strandIo.run();
  },
});

// dispatch: from inside a handler, 10k handlers run inline (no queueing).
bench({
  name: "direct calls",
  group: "dispatch 10k from a handler",
  baseline: true,
  fn() {
    for (let i = 0; i < N; i++) handler();
  },
});

bench({
  name: "Executor dispatch (inline)",
  group: "dispatch 10k from a handler",
  async fn() {
    io.restart();
    io.post(() => {
      for (let i = 0; i < N; i++) io.dispatch(handler);
    });
    await io.run();
  },
});

bench({
  name: "Executor post (queued)",
  group: "dispatch 10k from a handler",
  async fn() {
    io.restart();
    io.post(() => {
      for (let i = 0; i < N; i++) io.post(handler);
    });
    await io.run();
  },
});

bench({
  name: "Strand dispatch (inline)",
  group: "dispatch 10k from a handler",
  async fn() {
    strandIo.restart();
    strand.post(() => {
      for (let i = 0; i < N; i++) strand.dispatch(handler);
    });
    await strandIo.run();
  },
});

// A nested chain: each handler dispatches the next, 100 deep.
const DEPTH = 100;
bench({
  name: "recursive calls, 100 deep x 100",
  group: "dispatch chain",
  baseline: true,
  fn() {
    const step = (depth: number): void => {
      handler();
      if (depth > 0) step(depth - 1);
    };
    for (let i = 0; i < 100; i++) step(DEPTH);
  },
});

bench({
  name: "Executor dispatch chain, 100 deep x 100",
  group: "dispatch chain",
  async fn() {
    io.restart();
    const step = (depth: number): void => {
      handler();
      if (depth > 0) io.dispatch(() => step(depth - 1));
    };
    for (let i = 0; i < 100; i++) io.post(() => step(DEPTH));
    await io.run();
  },
});

bench({
  name: "Executor post chain, 100 long x 100",
  group: "dispatch chain",
  async fn() {
    io.restart();
    const step = (depth: number): void => {
      handler();
      if (depth > 0) io.post(() => step(depth - 1));
    };
    for (let i = 0; i < 100; i++) io.post(() => step(DEPTH));
    await io.run();
  },
});

bench({
  name: "Strand post chain, 100 long x 100 strands",
  group: "dispatch chain",
  async fn() {
    strandIo.restart();
    for (let i = 0; i < 100; i++) {
      const lane = new Strand(strandIo);
      const step = (depth: number): void => {
        handler();
        if (depth > 0) lane.post(() => step(depth - 1));
      };
      lane.post(() => step(DEPTH));
    }
    await strandIo.run();
  },
});

// 10k timers of 1 ms: the runtime's timers set the floor.
bench({
  name: "setTimeout x10k",
  group: "10k timers",
  baseline: true,
  async fn() {
    let left = N;
    await new Promise<void>((resolve) => {
      for (let i = 0; i < N; i++) {
        setTimeout(() => {
          if (--left === 0) resolve();
        }, 1);
      }
    });
  },
});

bench({
  name: "SteadyTimer x10k, asyncWait + run()",
  group: "10k timers",
  async fn() {
    io.restart();
    for (let i = 0; i < N; i++) new SteadyTimer(io, 1).asyncWait(handler);
    await io.run();
  },
});

bench({
  name: "SteadyTimer x10k, wait()",
  group: "10k timers",
  async fn() {
    const waits: Promise<void>[] = [];
    for (let i = 0; i < N; i++) waits.push(new SteadyTimer(io, 1).wait());
    await Promise.all(waits);
  },
});

bench({
  name: "one SteadyTimer, 10k asyncWaits + run()",
  group: "10k timers",
  async fn() {
    io.restart();
    const timer = new SteadyTimer(io, 1);
    for (let i = 0; i < N; i++) timer.asyncWait(handler);
    await io.run();
  },
});

// A fresh executor given distinct closures, as programs post them: the
// friendliest case above reuses one executor and one handler. The same
// comparison as interleaved rounds, steadier on a busy machine:
// bench/executor_rounds.ts.
for (const n of [100_000, 1_000_000]) {
  const group = `fresh executor, ${n / 1000}k distinct closures`;
  bench({
    name: "raw array-of-closures drain loop",
    group,
    baseline: true,
    fn() {
      const queue: (() => void)[] = [];
      for (let i = 0; i < n; i++) {
        queue.push(() => {
          counter += i;
        });
      }
      for (let i = 0; i < queue.length; i++) queue[i]!();
    },
  });
  bench({
    name: "new Executor, run()",
    group,
    async fn() {
      const fresh = new Executor();
      for (let i = 0; i < n; i++) {
        fresh.post(() => {
          counter += i;
        });
      }
      await fresh.run();
    },
  });
  bench({
    name: "new Executor, poll()",
    group,
    fn() {
      const fresh = new Executor();
      for (let i = 0; i < n; i++) {
        fresh.post(() => {
          counter += i;
        });
      }
      fresh.poll();
    },
  });
}

// What submit() costs a caller that awaits it: 1000 round trips, one after
// the other, through a strand of an executor that runs for the program's
// life (its run() waits between them), against awaiting the function itself.
const serverIo = new Executor({ name: "server" });
serverIo.makeWorkGuard(); // held for the program's life
void serverIo.run();
const connection = new Strand(serverIo);
const ROUND_TRIPS = 1000;
const reply = (): number => ++counter;
const asyncReply = (): Promise<number> => Promise.resolve(++counter);

bench({
  name: "await fn()",
  group: "1000 awaited round trips",
  baseline: true,
  async fn() {
    for (let i = 0; i < ROUND_TRIPS; i++) await asyncReply();
  },
});

bench({
  name: "await strand.submit(fn)",
  group: "1000 awaited round trips",
  async fn() {
    for (let i = 0; i < ROUND_TRIPS; i++) await connection.submit(reply);
  },
});

bench({
  name: "await strand.submit(fn), with a signal",
  group: "1000 awaited round trips",
  async fn() {
    const { signal } = new AbortController();
    for (let i = 0; i < ROUND_TRIPS; i++) {
      await connection.submit(reply, { signal });
    }
  },
});

bench({
  name: "await executor.submit(fn)",
  group: "1000 awaited round trips",
  async fn() {
    for (let i = 0; i < ROUND_TRIPS; i++) await serverIo.submit(reply);
  },
});
