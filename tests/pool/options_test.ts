// Copyright 2026 the iox authors. MIT license.
// minThreads, workerData and setup, maxTasksPerWorker, priority, events and
// the timing stats.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  SETUP_RETRY_MS,
  ThreadPool,
  type ThreadPoolOptions,
  WorkerCrashedError,
} from "../../src/thread_pool.ts";
import {
  collect,
  Counter,
  nextEvent,
  SETUP_TASKS,
  TASKS,
  turn,
} from "./_helpers.ts";

describe("ThreadPool minThreads", () => {
  test("starts minThreads workers at construction and keeps them through idleTimeoutMs", async () => {
    await using pool = new ThreadPool(TASKS, {
      threads: 3,
      minThreads: 2,
      idleTimeoutMs: 1,
    });
    assert.equal(pool.stats.threads, 2);
    assert.equal(pool.stats.idle, 2);
    const exited = nextEvent(pool, "workerexit");
    await Promise.all([1, 2, 3].map(() => pool.run("spin", [50])));
    // One worker (the first to idle) goes; two stay.
    assert.equal((await exited).detail.reason, undefined);
    assert.equal(pool.stats.threads, 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(pool.stats.threads, 2);
    assert.equal(pool.stats.idle, 2);
  });

  test("a crashed warm worker is replaced", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 2, minThreads: 2 });
    await assert.rejects(pool.run("crashLater"), WorkerCrashedError);
    await turn();
    assert.equal(pool.stats.threads, 2);
  });

  test("threads defaults to at least minThreads; minThreads above threads is a RangeError", async () => {
    const many = navigator.hardwareConcurrency + 1;
    const pool = new ThreadPool(TASKS, { minThreads: many });
    assert.equal(pool.stats.threads, many);
    await pool.close();
    assert.throws(() => new ThreadPool(TASKS, { threads: 2, minThreads: 3 }), {
      name: "RangeError",
      message:
        "Cannot create thread pool as 'minThreads' must be an integer in 0..2: current value is 3",
    });
    assert.throws(
      () => new ThreadPool(TASKS, { minThreads: -1 }),
      RangeError,
    );
    assert.throws(
      () => new ThreadPool(TASKS, { minThreads: "1" as unknown as number }),
      TypeError,
    );
  });
});

describe("ThreadPool workerData and setup", () => {
  test("each worker awaits setup(workerData) once before its first task", async () => {
    await using pool = new ThreadPool(SETUP_TASKS, {
      threads: 2,
      workerData: { table: [1, 2, 3] },
    });
    const states = await pool.map<{ data: unknown; setups: number }>(
      "state",
      Array.from({ length: 6 }, () => []),
    );
    for (const state of states) {
      assert.deepEqual(state.data, { table: [1, 2, 3] });
      assert.equal(state.setups, 1);
    }
  });

  test("a setup that throws rejects that worker's tasks with WorkerCrashedError, then retries after a wait", async () => {
    await using pool = new ThreadPool(SETUP_TASKS, {
      threads: 1,
      workerData: { fail: "no database" },
    });
    const exits = collect(pool, "workerexit");
    const check = (error: unknown) => {
      assert.ok(error instanceof WorkerCrashedError);
      assert.match(
        error.message,
        /^Cannot run task 'state' as the setup of worker \d+ of thread pool 'ThreadPool' failed$/,
      );
      assert.ok(error.cause instanceof RangeError);
      assert.equal(error.cause.message, "no database");
      return true;
    };
    const first = performance.now();
    await assert.rejects(pool.run("state"), check);
    await assert.rejects(pool.run("state"), check);
    await assert.rejects(pool.run("state"), check);
    // Two retries, each after a wait: SETUP_RETRY_MS, then twice that.
    assert.ok(performance.now() - first >= SETUP_RETRY_MS * 3 * 0.9);
    await turn();
    assert.equal(exits.length, 3);
    for (const exit of exits) {
      assert.equal((exit.detail.reason as Error).message, "no database");
    }
    assert.equal(pool.stats.threads, 0);
  });

  test("close while a failing setup waits to retry still settles every task", async () => {
    const pool = new ThreadPool(SETUP_TASKS, {
      threads: 1,
      minThreads: 1,
      workerData: { fail: "still broken" },
    });
    await nextEvent(pool, "workerexit");
    const run = pool.run("state");
    const closed = pool.close();
    await assert.rejects(run, WorkerCrashedError);
    await closed;
    assert.equal(pool.stats.threads, 0);
  });

  test("workerData that cannot be cloned is refused at construction", () => {
    assert.throws(
      () => new ThreadPool(TASKS, { workerData: { f() {} } }),
      (error: unknown) => {
        assert.ok(error instanceof DOMException);
        assert.equal(error.name, "DataCloneError");
        assert.match(
          error.message,
          /^Cannot create thread pool as 'workerData' must be structured-cloneable: /,
        );
        return true;
      },
    );
  });
});

describe("ThreadPool maxTasksPerWorker", () => {
  test("replaces a worker, between tasks, after that many", async () => {
    await using pool = new ThreadPool(TASKS, {
      threads: 1,
      maxTasksPerWorker: 2,
    });
    const exits = collect(pool, "workerexit");
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await pool.run<number>("workerId"));
    assert.equal(ids[0], ids[1]);
    assert.notEqual(ids[1], ids[2]);
    assert.equal(ids[2], ids[3]);
    assert.notEqual(ids[3], ids[4]);
    const batch = await pool.map<number>("workerId", [[], [], [], []]);
    assert.equal(new Set(batch).size, 3);
    await turn();
    assert.ok(exits.length >= 4);
    assert.ok(exits.every((exit) => exit.detail.reason === undefined));
  });

  test("must be a positive integer or Infinity", () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(() => new ThreadPool(TASKS, { maxTasksPerWorker: bad }), {
        name: "RangeError",
        message:
          `Cannot create thread pool as 'maxTasksPerWorker' must be a positive integer or Infinity: current value is ${bad}`,
      });
    }
    assert.throws(
      () =>
        new ThreadPool(TASKS, {
          maxTasksPerWorker: "2",
        } as unknown as ThreadPoolOptions),
      TypeError,
    );
  });
});

describe("ThreadPool priority", () => {
  test("higher priority starts first, FIFO among equals, even past tasks sent ahead", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    const counter = new Counter();
    const blocker = pool.run("spin", [100]);
    const run = (priority = 0) =>
      pool.run<number>("stamp", [counter.buffer], { priority });
    const low = [run(), run(0)];
    await turn(); // the low ones are sent ahead to the busy worker
    const high1 = run(5);
    const mid = run(1);
    const high2 = run(5);
    const negative = run(-1);
    const mapped = pool.map<number>("stamp", [[counter.buffer], [
      counter.buffer,
    ]], { priority: 3 });
    await blocker;
    assert.deepEqual(
      await Promise.all([high1, high2, mapped, mid, ...low, negative]),
      [0, 1, [2, 3], 4, 5, 6, 7],
    );
  });

  test("a priority that is not a finite number is refused", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    await assert.rejects(
      pool.run("identity", [1], { priority: "1" as unknown as number }),
      {
        name: "TypeError",
        message:
          `Cannot run task 'identity' as 'priority' must be a finite number: current value is "1"`,
      },
    );
    for (const bad of [NaN, Infinity]) {
      await assert.rejects(
        pool.run("identity", [1], { priority: bad }),
        RangeError,
      );
    }
    await assert.rejects(
      pool.map("identity", [[1]], { priority: NaN }),
      {
        name: "RangeError",
        message:
          "Cannot map task 'identity' as 'priority' must be a finite number: current value is NaN",
      },
    );
  });
});

describe("ThreadPool events and timing stats", () => {
  test("workerstart and workerexit carry the thread id, and the reason of a crash", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    const started = nextEvent(pool, "workerstart");
    await pool.run("identity", [1]);
    assert.deepEqual((await started).detail, { threadId: 1 });
    const exited = nextEvent(pool, "workerexit");
    await assert.rejects(pool.run("crashLater"), WorkerCrashedError);
    const exit = await exited;
    assert.equal(exit.detail.threadId, 1);
    assert.equal(
      (exit.detail.reason as Error).message,
      "crashed outside the task",
    );
    const restarted = nextEvent(pool, "workerstart");
    await pool.run("identity", [2]);
    assert.deepEqual((await restarted).detail, { threadId: 2 });
  });

  test("waitTime, runTime and utilization", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    const empty = pool.stats.runTime;
    assert.deepEqual(empty, {
      count: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      max: 0,
    });
    await Promise.all([pool.run("spin", [30]), pool.run("identity", [1])]);
    const { waitTime, runTime, utilization } = pool.stats;
    assert.equal(runTime.count, 2);
    assert.equal(waitTime.count, 2);
    assert.ok(runTime.max >= 25, `runTime.max ${runTime.max}`);
    assert.ok(runTime.p99 <= runTime.max && runTime.p50 <= runTime.p90);
    // The quick task waited behind the spin on the only thread.
    assert.ok(waitTime.max >= 25, `waitTime.max ${waitTime.max}`);
    assert.ok(utilization > 0 && utilization <= 1);
  });
});

describe("ThreadPool without workers", () => {
  test("a runtime with no Worker rejects every task with a clear error", async () => {
    const original = globalThis.Worker;
    (globalThis as { Worker?: unknown }).Worker = undefined;
    try {
      await using pool = new ThreadPool(TASKS, { threads: 1 });
      const check = (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(
          (error.cause as Error).message,
          /^Cannot use workers as iox has no adapter for this runtime/,
        );
        return true;
      };
      await assert.rejects(pool.run("identity", [1]), check);
      await assert.rejects(pool.run("identity", [2]), check);
    } finally {
      globalThis.Worker = original;
    }
  });
});
