// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Executor, Strand } from "../../src/executor.ts";

describe("Executor onError", () => {
  test("a throw goes to onError and the run goes on", async () => {
    const errors: unknown[] = [];
    const io = new Executor({ onError: (error) => errors.push(error) });
    const log: string[] = [];
    const boom = new Error("boom");
    io.post(() => log.push("a"));
    io.post(() => {
      throw boom;
    });
    io.post(() => log.push("c"));
    assert.equal(await io.run(), 3);
    assert.deepEqual(log, ["a", "c"]);
    assert.deepEqual(errors, [boom]);
    assert.ok(io.stopped);
  });

  test("a rejection goes to onError, not counted as an extra handler", async () => {
    const errors: unknown[] = [];
    const io = new Executor({ onError: (error) => errors.push(error) });
    io.post(() => Promise.reject(new Error("late")));
    io.post(() => {});
    assert.equal(await io.run(), 2);
    assert.deepEqual(errors.map((e) => (e as Error).message), ["late"]);
  });

  test("a strand handler's throw goes to onError and the strand goes on", async () => {
    const errors: unknown[] = [];
    const io = new Executor({ onError: (error) => errors.push(error) });
    const strand = new Strand(io);
    const log: number[] = [];
    strand.post(() => log.push(1));
    strand.post(() => {
      throw new Error("strand");
    });
    strand.post(async () => {
      await null;
      throw new Error("async strand");
    });
    strand.post(() => log.push(4));
    assert.equal(await io.run(), 4);
    assert.deepEqual(log, [1, 4]);
    assert.deepEqual(errors.map((e) => (e as Error).message), [
      "strand",
      "async strand",
    ]);
  });

  test("poll() and pollOne() give errors to onError and go on", () => {
    const errors: unknown[] = [];
    const io = new Executor({ onError: (error) => errors.push(error) });
    io.post(() => {
      throw new Error("1");
    });
    io.post(() => {});
    io.post(() => {
      throw new Error("3");
    });
    io.post(() => {});
    assert.equal(io.pollOne(), 1);
    assert.equal(io.poll(), 3);
    assert.deepEqual(errors.map((e) => (e as Error).message), ["1", "3"]);
  });

  test("a handler that ran a nested poll, then threw, counts once", async () => {
    const errors: unknown[] = [];
    const io = new Executor({ onError: (error) => errors.push(error) });
    let nested = 0;
    io.post(() => {
      nested = io.poll(); // runs the two handlers queued after this one
      throw new Error("after a nested poll");
    });
    io.post(() => {});
    io.post(() => {});
    assert.equal(await io.run(), 1);
    assert.equal(nested, 2);
    assert.equal(errors.length, 1);
  });

  test("an error thrown by onError rejects the run; nothing queued is lost", async () => {
    const io = new Executor({
      onError: () => {
        throw new Error("handler of errors failed");
      },
    });
    let ran = false;
    io.post(() => {
      throw new Error("boom");
    });
    io.post(() => {
      ran = true;
    });
    await assert.rejects(io.run(), { message: "handler of errors failed" });
    assert.equal(await io.run(), 1);
    assert.ok(ran);
  });

  test("without onError, run() rejects as before", async () => {
    const io = new Executor();
    io.post(() => {
      throw new Error("boom");
    });
    await assert.rejects(io.run(), { message: "boom" });
  });

  test("onError that is not a function is refused", () => {
    assert.throws(() => new Executor({ onError: 5 as never }), {
      name: "TypeError",
      message:
        "Cannot create executor as 'onError' must be a function: current value is 5",
    });
  });
});

// The cases every submit() shares, on an Executor and on a Strand.
for (
  const [label, make] of [
    ["Executor", (io: Executor) => io],
    ["Strand", (io: Executor) => new Strand(io)],
  ] as const
) {
  describe(`${label}.submit`, () => {
    test("settles with the value, FIFO with post", async () => {
      const io = new Executor();
      const target = make(io);
      const log: string[] = [];
      target.post(() => log.push("post 1"));
      const value = target.submit(() => {
        log.push("submit");
        return 42;
      });
      target.post(() => log.push("post 2"));
      assert.equal(await io.run(), 3);
      assert.deepEqual(log, ["post 1", "submit", "post 2"]);
      assert.equal(await value, 42);
    });

    test("an async fn counts as work; its promise's value settles it", async () => {
      const io = new Executor();
      const target = make(io);
      const value = target.submit(async () => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return "later";
      });
      assert.equal(await io.run(), 1); // waited for the async part
      assert.equal(await value, "later");
    });

    test("its throw or rejection goes only to its promise", async () => {
      const errors: unknown[] = [];
      const io = new Executor({ onError: (error) => errors.push(error) });
      const target = make(io);
      const thrown = target.submit(() => {
        throw new Error("sync");
      });
      const rejected = target.submit(() => Promise.reject(new Error("async")));
      const plain = new Executor();
      const plainThrown = make(plain).submit(() => {
        throw new Error("no onError");
      });
      assert.equal(await io.run(), 2);
      assert.equal(await plain.run(), 1); // did not reject
      await assert.rejects(thrown, { message: "sync" });
      await assert.rejects(rejected, { message: "async" });
      await assert.rejects(plainThrown, { message: "no onError" });
      assert.deepEqual(errors, []);
    });

    test("a queued fn whose signal aborts never runs; later work goes on", async () => {
      const io = new Executor();
      const target = make(io);
      const controller = new AbortController();
      const log: string[] = [];
      const dropped = target.submit(() => log.push("dropped"), {
        signal: controller.signal,
      });
      const kept = target.submit(() => log.push("kept"));
      const reason = new Error("connection reset");
      controller.abort(reason);
      // Rejected at the abort, before any run.
      await assert.rejects(dropped, (error) => error === reason);
      assert.equal(await io.run(), 1);
      assert.deepEqual(log, ["kept"]);
      assert.equal(await kept, 1);
    });

    test("an already aborted signal rejects at once and queues nothing", async () => {
      const io = new Executor();
      const target = make(io);
      let ran = false;
      const result = target.submit(() => {
        ran = true;
      }, { signal: AbortSignal.abort() });
      await assert.rejects(result, { name: "AbortError" });
      assert.equal(await io.run(), 0);
      assert.equal(ran, false);
    });

    test("an abort after fn started changes nothing", async () => {
      const io = new Executor();
      const target = make(io);
      const controller = new AbortController();
      const result = target.submit(async () => {
        controller.abort();
        await null;
        return "finished";
      }, { signal: controller.signal });
      await io.run();
      assert.equal(await result, "finished");
    });

    test("a dropped fn does not count for runOne()", async () => {
      const io = new Executor();
      const target = make(io);
      const controller = new AbortController();
      const dropped = target.submit(() => {}, { signal: controller.signal });
      let ran = false;
      target.post(() => {
        ran = true;
      });
      controller.abort();
      await assert.rejects(dropped, { name: "AbortError" });
      assert.equal(await io.runOne(), 1);
      assert.ok(ran);
    });

    test("bad arguments reject and queue nothing", async () => {
      const io = new Executor();
      const target = make(io);
      const where = label === "Strand"
        ? "submit handler to strand"
        : "submit handler";
      await assert.rejects(target.submit(5 as never), {
        name: "TypeError",
        message: `Cannot ${where} as it must be a function: current value is 5`,
      });
      await assert.rejects(target.submit(() => {}, 1 as never), {
        name: "TypeError",
        message:
          `Cannot ${where} as 'options' must be an object: current value is 1`,
      });
      await assert.rejects(target.submit(() => {}, { signal: {} as never }), {
        name: "TypeError",
        message:
          `Cannot ${where} as 'signal' must be an AbortSignal: current value is {}`,
      });
      assert.equal(await io.run(), 0);
    });
  });
}

describe("Strand.submit", () => {
  test("an async fn holds the strand until it settles", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    const first = strand.submit(async () => {
      log.push("first start");
      await new Promise((resolve) => setTimeout(resolve, 2));
      log.push("first end");
    });
    strand.post(() => log.push("second"));
    await io.run();
    await first;
    assert.deepEqual(log, ["first start", "first end", "second"]);
  });

  test("a dead connection's 10k queued handlers are dropped without running", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const connection = new AbortController();
    let ran = 0;
    const replies: Promise<unknown>[] = [];
    for (let i = 0; i < 10_000; i++) {
      replies.push(strand.submit(() => ran++, { signal: connection.signal }));
    }
    connection.abort();
    const settled = await Promise.allSettled(replies);
    assert.ok(settled.every((s) => s.status === "rejected"));
    assert.equal(await io.run(), 0);
    assert.equal(ran, 0);
  });
});
