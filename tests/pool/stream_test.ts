// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PoolClosedError,
  ThreadPool,
  WorkerCrashedError,
} from "../../src/thread_pool.ts";
import { Counter, TASKS } from "./_helpers.ts";

async function all<T>(stream: ReadableStream<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of stream) values.push(value);
  return values;
}

describe("ThreadPool.stream", () => {
  test("streams what a sync or an async generator yields", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    assert.deepEqual(await all(pool.stream("count", [5])), [0, 1, 2, 3, 4]);
    assert.deepEqual(await all(pool.stream("countAsync", [3])), [0, 1, 2]);
    assert.deepEqual(await all(pool.stream("count", [0])), []);
    const many = await all(pool.stream<number>("count", [20_000]));
    assert.equal(many.length, 20_000);
    assert.equal(many.reduce((a, b) => a + b, 0), (20_000 * 19_999) / 2);
    assert.equal(await pool.run("identity", ["after"]), "after");
    assert.equal(pool.stats.completed, 5);
  });

  for (const name of ["produce", "produceAsync"]) {
    test(`${name}: the generator is not resumed while the stream's queue is full`, async () => {
      // terminate(), not close(): a generator that ignored backpressure
      // would never end.
      const pool = new ThreadPool(TASKS, { threads: 1 });
      try {
        const counter = new Counter();
        const stream = pool.stream<number>(name, [counter.buffer], {
          highWaterMark: 4,
        });
        await counter.reach(4);
        // A full queue: no value is asked for, however long we wait.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(counter.count, 4);
        const reader = stream.getReader();
        assert.deepEqual(await reader.read(), { value: 0, done: false });
        assert.deepEqual(await reader.read(), { value: 1, done: false });
        await counter.reach(6);
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(counter.count, 6);
        await reader.cancel();
      } finally {
        await pool.terminate();
      }
    });

    test(`${name}: cancelling the stream runs the generator's finally in the worker`, async () => {
      await using pool = new ThreadPool(TASKS, { threads: 1 });
      const counter = new Counter();
      const reader = pool.stream(name, [counter.buffer]).getReader();
      assert.deepEqual(await reader.read(), { value: 0, done: false });
      await reader.cancel("enough");
      assert.ok(counter.flagged, "finally ran before cancel() resolved");
      assert.equal(await pool.run("identity", [1]), 1);
    });
  }

  test("transfer moves the arguments; priority orders streams with tasks", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    const buffer = new Uint8Array([7, 8, 9]).buffer;
    const order: string[] = [];
    const blocker = pool.run("spin", [30]);
    const late = pool.run("identity", ["late"]).then(() => order.push("late"));
    const values: number[] = [];
    const stream = pool.stream<number>("bytesOf", [buffer], {
      transfer: [buffer],
      priority: 1,
    });
    for await (const value of stream) {
      // The first value comes in a message before the late task's result.
      if (values.length === 0) order.push("stream");
      values.push(value);
    }
    await Promise.all([blocker, late]);
    assert.deepEqual(values, [7, 8, 9]);
    assert.equal(buffer.byteLength, 0, "moved, not copied");
    assert.deepEqual(order, ["stream", "late"]);
  });

  test("aborting stops the generator and errors the stream with the reason", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    const counter = new Counter();
    const controller = new AbortController();
    const reader = pool.stream("produce", [counter.buffer], {
      signal: controller.signal,
    }).getReader();
    assert.deepEqual(await reader.read(), { value: 0, done: false });
    controller.abort(new RangeError("stop"));
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break;
    }, { name: "RangeError", message: "stop" });
    await counter.reach(1, 1);
    assert.equal(await pool.run("identity", [2]), 2);
    assert.equal(pool.stats.failed, 1);
  });

  test("a stream aborted or cancelled before it starts never runs", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    const counter = new Counter();
    const blocker = pool.run("spin", [50]);
    const controller = new AbortController();
    const aborted = pool.stream("produce", [counter.buffer], {
      signal: controller.signal,
    });
    const cancelled = pool.stream("produce", [counter.buffer]);
    controller.abort();
    await assert.rejects(all(aborted), { name: "AbortError" });
    await cancelled.cancel();
    await blocker;
    assert.equal(await pool.run("identity", [3]), 3);
    assert.equal(counter.count, 0);
  });

  test("an error in the generator errors the stream after the values before it", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    const values: number[] = [];
    await assert.rejects(async () => {
      for await (const value of pool.stream<number>("failAfter", [3, "boom"])) {
        values.push(value);
      }
    }, { name: "RangeError", message: "boom" });
    assert.deepEqual(values, [0, 1, 2]);
  });

  test("a value that cannot be cloned errors the stream with a DataCloneError, whether the generator goes on or ends; the worker lives on", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    // 0: it is still unsent when the generator ends; 1000: it is sent when
    // the credit runs out, with the generator still going.
    for (const after of [0, 1000]) {
      await assert.rejects(
        all(pool.stream("yieldUncloneable", [after])),
        (error) => {
          assert.ok(error instanceof DOMException);
          assert.equal(error.name, "DataCloneError");
          assert.match(
            error.message,
            /^Cannot send the value the generator yielded: ./,
          );
          return true;
        },
      );
    }
    assert.deepEqual(await all(pool.stream("count", [2])), [0, 1]);
    assert.equal(pool.stats.crashed, 0);
  });

  test("an export that is not a generator errors the stream with a TypeError naming it", async () => {
    await using pool = new ThreadPool(TASKS, { threads: 1 });
    await assert.rejects(all(pool.stream("identity", [1])), {
      name: "TypeError",
      message:
        "Cannot stream task 'identity' as the export is not a generator function",
    });
    await assert.rejects(all(pool.stream("later", [1, 1])), TypeError);
    await assert.rejects(all(pool.stream("nope")), {
      name: "TypeError",
      message:
        "Cannot stream task 'nope' as the task module does not export a function of that name",
    });
  });

  test("bad arguments, a closed pool and a dead worker error the stream", async () => {
    const pool = new ThreadPool(TASKS, { threads: 1 });
    await assert.rejects(all(pool.stream(42 as unknown as string)), {
      name: "TypeError",
      message:
        "Cannot stream task as 'name' must be a string: current value is 42",
    });
    await assert.rejects(
      all(pool.stream("count", 1 as unknown as [])),
      TypeError,
    );
    await assert.rejects(
      all(pool.stream("count", [1], { highWaterMark: 0 })),
      {
        name: "RangeError",
        message:
          "Cannot stream task 'count' as 'highWaterMark' must be a positive integer: current value is 0",
      },
    );
    await assert.rejects(
      all(pool.stream("count", [1], { priority: "high" as unknown as number })),
      TypeError,
    );
    await assert.rejects(
      all(pool.stream("crashWhileStreaming")),
      WorkerCrashedError,
    );
    await pool.close();
    await assert.rejects(all(pool.stream("count", [1])), PoolClosedError);
  });
});
