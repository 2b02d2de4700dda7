// Copyright 2026 the iox authors. MIT license.
// Task round trips through a worker versus the bare ThreadPool.run they are
// built on: the completion machinery must cost little on top.
import { Executor, Task, ThreadPool } from "../mod.ts";
import { bench } from "./_harness.ts";

const pool = new ThreadPool(
  new URL("../tests/fixtures/task_module.ts", import.meta.url),
  { threads: 2 },
);
// Start the workers before measuring.
await pool.run("add", [0, 0]);

bench({
  name: "ThreadPool.run (1 round trip)",
  group: "round trip",
  baseline: true,
  async fn() {
    await pool.run("add", [1, 2]);
  },
});

bench({
  name: "Task.runInThread (1 round trip)",
  group: "round trip",
  async fn() {
    const task = new Task<number>(null, () => {});
    task.runInThread(pool, "add", [1, 2]);
    await task.wait();
  },
});

bench({
  name: "Task.runInThread on an Executor (1 round trip)",
  group: "round trip",
  async fn() {
    const executor = new Executor();
    new Task<number>(null, () => {}, { executor })
      .runInThread(pool, "add", [1, 2]);
    await executor.run();
  },
});

const BATCH = 10_000;

bench({
  name: "ThreadPool.run x10k",
  group: "10k concurrent",
  baseline: true,
  async fn() {
    const runs = new Array<Promise<number>>(BATCH);
    for (let i = 0; i < BATCH; i++) runs[i] = pool.run("add", [i, 1]);
    await Promise.all(runs);
  },
});

bench({
  name: "Task.runInThread x10k",
  group: "10k concurrent",
  async fn() {
    let calls = 0;
    const executor = new Executor();
    for (let i = 0; i < BATCH; i++) {
      new Task<number>(i, () => calls++, { executor })
        .runInThread(pool, "add", [i, 1]);
    }
    await executor.run();
    if (calls !== BATCH) throw new Error(`lost callbacks: ${BATCH - calls}`);
  },
});
