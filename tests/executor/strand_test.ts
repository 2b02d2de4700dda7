// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Executor, Strand } from "../../src/executor.ts";

function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("Strand", () => {
  test("runs its handlers in FIFO order, each counted as a handler", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    assert.equal(strand.executor, io);
    const log: number[] = [];
    // More than one turn's worth, some given to the strand by its handlers.
    for (let i = 0; i < 1000; i++) {
      strand.post(() => {
        log.push(i);
        if (i % 10 === 0) strand.post(() => log.push(1000 + i / 10));
      });
    }
    assert.equal(await io.run(), 1100);
    assert.deepEqual(log, Array.from({ length: 1100 }, (_, i) => i));
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

  test("a turn runs the ready handlers; later ones wait for the next turn", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(() => {
      log.push("s1");
      // Given to the strand during its turn: runs in the next turn, after
      // the executor's other work.
      strand.post(() => log.push("s3"));
    });
    strand.post(() => log.push("s2"));
    io.post(() => log.push("e1"));
    io.post(() => log.push("e2"));
    // Each strand handler counts as one handler of the run.
    assert.equal(await io.run(), 5);
    assert.deepEqual(log, ["s1", "s2", "e1", "e2", "s3"]);
  });

  test("other executor work interleaves with a long strand backlog", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const backlog = 5000;
    let strandRan = 0;
    const strandRanBefore: number[] = [];
    for (let i = 0; i < backlog; i++) strand.post(() => strandRan++);
    // An executor handler that re-posts itself while the backlog lasts.
    const other = (): void => {
      strandRanBefore.push(strandRan);
      if (strandRan < backlog) io.post(other);
    };
    io.post(other);
    assert.equal(await io.run(), backlog + strandRanBefore.length);
    assert.equal(strandRan, backlog);
    // The first executor handler ran after the first turn, and each later
    // one after at most one more turn: turns are bounded batches.
    assert.ok(strandRanBefore[0]! >= 1 && strandRanBefore[0]! < backlog);
    assert.ok(strandRanBefore.length >= 2);
    for (let i = 1; i < strandRanBefore.length; i++) {
      const turn = strandRanBefore[i]! - strandRanBefore[i - 1]!;
      assert.ok(turn >= 1 && turn <= 256, `turn of ${turn} handlers`);
    }
  });

  test("runOne runs one strand handler; a batch keeps to the run's count", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: number[] = [];
    for (let i = 0; i < 3; i++) strand.post(() => log.push(i));
    assert.equal(await io.runOne(), 1);
    assert.deepEqual(log, [0]);
    assert.equal(io.pollOne(), 1);
    assert.deepEqual(log, [0, 1]);
    assert.equal(io.poll(), 1);
    assert.deepEqual(log, [0, 1, 2]);
  });

  test("a strand handler may poll its executor in the middle of a turn", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const other = new Strand(io);
    const log: string[] = [];
    strand.post(() => {
      log.push("s1 start");
      // Runs what is ready on the executor, other strands included, but
      // not this strand's next handler.
      assert.equal(io.poll(), 3);
      log.push("s1 end");
    });
    strand.post(() => log.push("s2"));
    io.post(() => log.push("e1"));
    other.post(() => log.push("o1"));
    other.post(() => log.push("o2"));
    // The nested poll's handlers are counted by the poll, not by run().
    assert.equal(await io.run(), 2);
    assert.deepEqual(log, ["s1 start", "e1", "o1", "o2", "s1 end", "s2"]);
  });

  test("stop() from a strand handler ends its turn after that handler", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(() => {
      log.push("a");
      io.stop();
    });
    strand.post(() => log.push("b"));
    assert.equal(await io.run(), 1);
    assert.deepEqual(log, ["a"]);
    io.restart();
    assert.equal(await io.run(), 1);
    assert.deepEqual(log, ["a", "b"]);
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

  test("inline dispatch: a throw reaches the caller, a rejection reaches run()", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(() => {
      assert.throws(
        () =>
          strand.dispatch(() => {
            throw new Error("inline boom");
          }),
        { message: "inline boom" },
      );
      strand.dispatch(async () => {
        await tick();
        throw new Error("inline async boom");
      });
    });
    strand.post(() => log.push("next"));
    await assert.rejects(io.run(), { message: "inline async boom" });
    assert.deepEqual(log, []); // the strand waited for the async part
    assert.equal(await io.run(), 1);
    assert.deepEqual(log, ["next"]);
  });

  test("defer from an executor handler appends after it", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    io.post(() => {
      // The strand is idle: its turn is deferred on the executor.
      strand.defer(() => log.push("deferred"));
      io.post(() => log.push("posted"));
    });
    await io.run();
    assert.deepEqual(log, ["posted", "deferred"]);
    // From outside a handler it is post; a strand with a turn already
    // queued just takes the handler into that turn.
    io.restart();
    log.length = 0;
    io.post(() => {
      strand.defer(() => log.push("joins the turn"));
      io.post(() => log.push("posted"));
    });
    strand.defer(() => log.push("outside")); // queues a turn
    await io.run();
    assert.deepEqual(log, ["outside", "joins the turn", "posted"]);
  });

  test("a throwing handler rejects run(); the strand goes on", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(() => log.push("before"));
    strand.post(() => {
      throw new Error("strand boom");
    });
    strand.post(() => log.push("next"));
    strand.post(() => log.push("last"));
    // The throw ends the turn in the middle of its batch.
    await assert.rejects(io.run(), { message: "strand boom" });
    assert.equal(strand.runningInThisThread, false);
    assert.deepEqual(log, ["before"]);
    assert.equal(await io.run(), 2);
    assert.deepEqual(log, ["before", "next", "last"]);
  });

  test("a batch waits for an async handler before the next one", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    strand.post(() => log.push("sync 1"));
    strand.post(async () => {
      log.push("async start");
      await tick(1);
      log.push("async end");
    });
    strand.post(() => log.push("sync 2"));
    io.post(() => log.push("executor"));
    assert.equal(await io.run(), 4);
    assert.deepEqual(log, [
      "sync 1",
      "async start",
      "executor",
      "async end",
      "sync 2",
    ]);
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
