// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Executor, WorkGuard } from "../../src/executor.ts";

describe("WorkGuard", () => {
  test("owns work until reset; reset twice is harmless", () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    assert.ok(guard instanceof WorkGuard);
    assert.equal(guard.ownsWork, true);
    guard.reset();
    assert.equal(guard.ownsWork, false);
    guard.reset();
    assert.equal(guard.ownsWork, false);
    assert.equal(io.poll(), 0);
    assert.equal(io.stopped, true); // the work was given back exactly once
  });

  test("keeps run() waiting until reset, then run() returns", async () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    let returned = false;
    const running = io.run().then((count) => {
      returned = true;
      return count;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(returned, false);
    assert.equal(io.stopped, false);
    guard.reset();
    assert.equal(await running, 0);
    assert.equal(io.stopped, true);
  });

  test("several guards: run() returns when the last one is reset", async () => {
    const io = new Executor();
    const a = io.makeWorkGuard();
    const b = new WorkGuard(io);
    const log: string[] = [];
    const running = io.run();
    setTimeout(() => {
      a.reset();
      io.post(() => {
        log.push("after a");
        setTimeout(() => {
          io.post(() => log.push("after b"));
          b.reset();
        }, 1);
      });
    }, 1);
    assert.equal(await running, 2);
    assert.deepEqual(log, ["after a", "after b"]);
  });

  test("a handler may reset it", async () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    io.post(() => guard.reset());
    assert.equal(await io.run(), 1);
    assert.equal(io.stopped, true);
  });

  test("using disposes it at the end of the block", async () => {
    const io = new Executor();
    let outer: WorkGuard | undefined;
    {
      using guard = io.makeWorkGuard();
      outer = guard;
      assert.equal(guard.ownsWork, true);
      assert.equal(io.poll(), 0);
      assert.equal(io.stopped, false); // held
    }
    assert.equal(outer.ownsWork, false);
    assert.equal(await io.run(), 0);
    assert.equal(io.stopped, true);
  });

  test("Symbol.dispose is reset", () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    guard[Symbol.dispose]();
    assert.equal(guard.ownsWork, false);
    assert.equal(io.poll(), 0);
    assert.equal(io.stopped, true);
  });

  test("the constructor rejects what is not an Executor", () => {
    for (const bad of [42, null, {}, { post() {} }]) {
      assert.throws(
        // @ts-expect-error: testing a bad argument
        () => new WorkGuard(bad),
        { name: "TypeError" },
      );
    }
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => new WorkGuard(42),
      {
        name: "TypeError",
        message:
          "Cannot create work guard as 'executor' must be an Executor: current value is 42",
      },
    );
  });
});
