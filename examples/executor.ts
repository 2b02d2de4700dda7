// Copyright 2026 the iox authors. MIT license.
// An Executor serving a few jobs: a strand keeps a shared log in order while
// its handlers await, a timer ticks, and a work guard keeps run() alive until
// the last tick lets it go.
//
//   deno run examples/executor.ts   |   bun examples/executor.ts
import { Executor, SteadyTimer, Strand } from "../mod.ts";

const io = new Executor({ name: "example" });
const log = new Strand(io);
const guard = io.makeWorkGuard();

for (const job of ["a", "b", "c"]) {
  log.post(async () => {
    console.log(`job ${job}: start`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    console.log(`job ${job}: end`); // never interleaves with another job
  });
}

const timer = new SteadyTimer(io, 10);
let ticks = 0;
const onTick = (error?: Error): void => {
  if (error) return; // cancelled
  console.log(`tick ${++ticks}`);
  if (ticks === 3) {
    guard.reset(); // no more work will come: let run() finish
    return;
  }
  timer.expiresAfter(10);
  timer.asyncWait(onTick);
};
timer.asyncWait(onTick);

const handlers = await io.run();
console.log(`ran ${handlers} handlers; stopped: ${io.stopped}`);
