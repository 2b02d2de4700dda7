// Copyright 2026 the iox authors. MIT license.
// The work-conserving guarantee: while a task waits and fewer than
// `threads` workers are busy, a free worker takes it promptly.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ThreadPool } from "../../src/thread_pool.ts";
import { collect, Counter, nextEvent, TASKS } from "./_helpers.ts";

describe("ThreadPool scheduling", () => {
  test("threads: 4 and 5 tasks that never settle: 4 threads, 4 running, 1 queued", async () => {
    const pool = new ThreadPool(TASKS, { threads: 4 });
    const counter = new Counter();
    const runs = Array.from(
      { length: 5 },
      () => pool.run("hangCounted", [counter.buffer]),
    );
    await counter.reach(4);
    const { threads, running, queued } = pool.stats;
    assert.deepEqual({ threads, running, queued }, {
      threads: 4,
      running: 4,
      queued: 1,
    });
    await pool.terminate();
    await Promise.allSettled(runs);
  });

  test("a thread freed by an abort takes the task waiting behind a task that never settles", async () => {
    const pool = new ThreadPool(TASKS, { threads: 4 });
    const counter = new Counter();
    const controller = new AbortController();
    const aborted = pool.run("hangCounted", [counter.buffer], {
      signal: controller.signal,
    });
    const runs = Array.from(
      { length: 4 },
      () => pool.run("hangCounted", [counter.buffer]),
    );
    await counter.reach(4);
    controller.abort();
    await assert.rejects(aborted, { name: "AbortError" });
    await counter.reach(5);
    assert.equal(pool.stats.queued, 0);
    assert.equal(pool.stats.running, 4);
    await pool.terminate();
    await Promise.allSettled(runs);
  });

  test("threads: 3, warm: spin, quick, spin, spin: the quick task settles first and the spins run at once", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 3, minThreads: 3 });
    const started = collect(pool, "workerstart");
    await new Promise<void>((resolve) => {
      if (started.length === 3) resolve();
      pool.addEventListener("workerstart", () => {
        if (started.length === 3) resolve();
      });
    });
    const order: string[] = [];
    const spin = (label: string) =>
      pool.run<[number, number]>("spinSpan", [300]).then((span) => {
        order.push(label);
        return span;
      });
    const spans = [spin("spin 1")];
    const quick = pool.run("identity", ["quick"]).then(() => {
      order.push("quick");
    });
    spans.push(spin("spin 2"), spin("spin 3"));
    await quick;
    const ended = await Promise.all(spans);
    assert.equal(order[0], "quick");
    // All three spins ran at the same time: none waited for another.
    const lastStart = Math.max(...ended.map(([start]) => start));
    const firstEnd = Math.min(...ended.map(([, end]) => end));
    assert.ok(
      lastStart < firstEnd,
      `a spin started (${lastStart}) after another ended (${firstEnd})`,
    );
  });

  test("tasks sent ahead to a worker stuck in a task are taken by the worker that becomes free", async () => {
    const pool = new ThreadPool(TASKS, { threads: 2 });
    const counter = new Counter();
    const stuck = pool.run("hangCounted", [counter.buffer]);
    const others = [
      pool.run("spin", [30]),
      ...Array.from({ length: 8 }, (_, i) => pool.run("identity", [i])),
    ];
    await Promise.all(others);
    assert.equal(pool.stats.queued, 0);
    assert.equal(pool.stats.running, 1);
    await pool.terminate();
    await assert.rejects(stuck);
  });

  test("a task with transfer waits in the queue for a free worker rather than behind a busy one", async () => {
    const pool = new ThreadPool(TASKS, { threads: 2 });
    const counter = new Counter();
    const stuck = pool.run("hangCounted", [counter.buffer]);
    await counter.reach(1);
    const busy = pool.run("spin", [30]);
    const buffer = new ArrayBuffer(8);
    assert.equal(
      await pool.run("byteLength", [buffer], { transfer: [buffer] }),
      8,
    );
    await busy;
    await pool.terminate();
    await assert.rejects(stuck);
  });

  test("idle workers take work before new ones start", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 4 });
    await pool.run("identity", [1]);
    await pool.run("identity", [2]);
    assert.equal(pool.stats.threads, 1);
  });

  test("'drain' fires once the tasks that waited have all started", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    const drains = collect(pool, "drain");
    await pool.run("identity", [0]);
    assert.equal(drains.length, 0, "no task waited");
    const drained = nextEvent(pool, "drain");
    const runs = Array.from({ length: 5 }, (_, i) => pool.run("later", [i, 5]));
    await drained;
    assert.equal(pool.stats.queued, 0);
    await Promise.all(runs);
    assert.equal(drains.length, 1);
  });
});
