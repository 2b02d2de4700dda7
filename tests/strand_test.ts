// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Executor, Strand } from "../src/executor.ts";

function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("Strand", () => {
  test("runs its handlers in FIFO order, one executor handler each", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    assert.equal(strand.executor, io);
    const log: number[] = [];
    for (let i = 0; i < 50; i++) strand.post(() => log.push(i));
    assert.equal(await io.run(), 50);
    assert.deepEqual(log, Array.from({ length: 50 }, (_, i) => i));
  });

  test("async handlers never overlap, and keep their order", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    let active = 0;
    let maxActive = 0;
    const log: number[] = [];
    for (let i = 0; i < 20; i++) {
      strand.post(async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        // Alternate microtask and timer waits between the handlers.
        if (i % 2 === 0) await tick();
        else await null;
        log.push(i);
        active--;
      });
    }
    assert.equal(await io.run(), 20);
    assert.equal(maxActive, 1);
    assert.deepEqual(log, Array.from({ length: 20 }, (_, i) => i));
  });

  test("other executor handlers interleave with a strand", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(() => log.push("s1"));
    strand.post(() => log.push("s2"));
    io.post(() => log.push("e1"));
    io.post(() => log.push("e2"));
    await io.run();
    assert.deepEqual(log, ["s1", "e1", "e2", "s2"]);
  });

  test("two strands on one executor each keep their own order", async () => {
    const io = new Executor();
    const a = new Strand(io);
    const b = new Strand(io);
    const log: string[] = [];
    for (let i = 0; i < 3; i++) {
      a.post(async () => {
        await tick();
        log.push(`a${i}`);
      });
      b.post(() => log.push(`b${i}`));
    }
    await io.run();
    assert.deepEqual(log.filter((x) => x[0] === "a"), ["a0", "a1", "a2"]);
    assert.deepEqual(log.filter((x) => x[0] === "b"), ["b0", "b1", "b2"]);
    // b does not wait for a's async handlers.
    assert.ok(log.indexOf("b2") < log.indexOf("a0"));
  });

  test("a strand waiting on an async handler is outstanding work", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(async () => {
      await tick(2);
      log.push("first");
    });
    strand.post(() => log.push("second"));
    assert.equal(await io.run(), 2);
    assert.deepEqual(log, ["first", "second"]);
    assert.equal(io.stopped, true);
  });

  test("runningInThisThread is true only inside its handlers", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const other = new Strand(io);
    const seen: boolean[] = [];
    strand.post(() => {
      seen.push(strand.runningInThisThread, other.runningInThisThread);
    });
    io.post(() => seen.push(strand.runningInThisThread));
    await io.run();
    assert.deepEqual(seen, [true, false, false]);
    assert.equal(strand.runningInThisThread, false);
  });

  test("dispatch runs inline from its own handler", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(() => {
      log.push("a start");
      strand.dispatch(() => log.push("inline"));
      log.push("a end");
    });
    strand.post(() => log.push("b"));
    await io.run();
    assert.deepEqual(log, ["a start", "inline", "a end", "b"]);
  });

  test("dispatch from an executor handler runs inline when the strand is idle", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    io.post(() => {
      strand.dispatch(() => {
        log.push("inline");
        assert.equal(strand.runningInThisThread, true);
      });
      log.push("after");
    });
    await io.run();
    assert.deepEqual(log, ["inline", "after"]);
  });

  test("dispatch queues while the strand is busy or from outside", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.dispatch(() => log.push("from outside")); // queued
    assert.equal(log.length, 0);
    strand.post(async () => {
      await tick();
      log.push("async done");
    });
    io.post(() => {
      // The strand is busy with queued or async handlers: no inline run.
      strand.dispatch(() => log.push("dispatched"));
      log.push("executor handler");
    });
    await io.run();
    assert.deepEqual(log, [
      "from outside",
      "executor handler",
      "async done",
      "dispatched",
    ]);
  });

  test("an inline dispatched async handler also holds the strand", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(() => {
      strand.dispatch(async () => {
        await tick(2);
        log.push("inline async done");
      });
    });
    strand.post(() => log.push("next"));
    await io.run();
    assert.deepEqual(log, ["inline async done", "next"]);
  });

  test("defer from an executor handler appends after it", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    io.post(() => {
      strand.defer(() => log.push("deferred"));
      io.post(() => log.push("posted"));
    });
    strand.defer(() => log.push("outside"));
    await io.run();
    assert.deepEqual(log, ["outside", "posted", "deferred"]);
  });

  test("a throwing handler rejects run(); the strand goes on", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(() => {
      throw new Error("strand boom");
    });
    strand.post(() => log.push("next"));
    await assert.rejects(io.run(), { message: "strand boom" });
    assert.equal(strand.runningInThisThread, false);
    assert.equal(await io.run(), 1);
    assert.deepEqual(log, ["next"]);
  });

  test("a rejected async handler rejects run(); the strand goes on", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(async () => {
      await tick();
      throw new Error("async strand boom");
    });
    strand.post(() => log.push("next"));
    await assert.rejects(io.run(), { message: "async strand boom" });
    await io.run();
    assert.deepEqual(log, ["next"]);
  });

  test("rejects bad arguments", () => {
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => new Strand({}),
      {
        name: "TypeError",
        message:
          "Cannot create strand as 'executor' must be an Executor: current value is {}",
      },
    );
    const strand = new Strand(new Executor());
    for (const method of ["post", "dispatch", "defer"] as const) {
      assert.throws(
        // @ts-expect-error: testing a bad argument
        () => strand[method](42),
        {
          name: "TypeError",
          message:
            `Cannot ${method} handler to strand as it must be a function: current value is 42`,
        },
      );
    }
    assert.equal(strand.executor.poll(), 0); // nothing was queued
  });
});
