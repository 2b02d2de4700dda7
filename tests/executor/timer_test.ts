// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Executor, SteadyTimer } from "../../src/executor.ts";

// Tracks the runtime timers created while `fn` runs: the ones still armed.
async function withLiveTimers(
  fn: (live: Set<unknown>) => Promise<void> | void,
): Promise<void> {
  const live = new Set<unknown>();
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  globalThis.setTimeout = ((cb: () => void, ms?: number) => {
    const id = realSet(() => {
      live.delete(id);
      cb();
    }, ms);
    live.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id: ReturnType<typeof setTimeout>) => {
    live.delete(id);
    realClear(id);
  }) as typeof clearTimeout;
  try {
    await fn(live);
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
}

describe("SteadyTimer.asyncWait", () => {
  test("posts the handler once, after the expiry, and run() waits for it", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 10);
    const calls: { error: Error | undefined; late: boolean }[] = [];
    timer.asyncWait((error) => {
      calls.push({ error, late: performance.now() >= timer.expiry });
      assert.equal(io.runningInThisThread, true); // runs on the executor
    });
    assert.equal(await io.run(), 1);
    assert.deepEqual(calls, [{ error: undefined, late: true }]);
    assert.equal(io.stopped, true);
  });

  test("several waits complete in the order they were made", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 2);
    const log: number[] = [];
    for (let i = 0; i < 5; i++) timer.asyncWait(() => log.push(i));
    assert.equal(await io.run(), 5);
    assert.deepEqual(log, [0, 1, 2, 3, 4]);
  });

  test("many timers complete in expiry order, never early; cancelled ones abort", async () => {
    const io = new Executor();
    // Every expiry is in the future when its wait starts: an expired timer
    // posts its handler at once, out of the queue.
    const start = performance.now() + 20;
    const fired: number[] = [];
    const aborted: number[] = [];
    let early = 0;
    const timers: SteadyTimer[] = [];
    // A fixed pseudo-random spread, so the heap gets out-of-order inserts
    // and removals from its middle.
    for (let i = 0; i < 200; i++) {
      const timer = new SteadyTimer(io);
      timer.expiresAt(start + ((i * 7919) % 97) / 10);
      timer.asyncWait((error) => {
        if (error) {
          aborted.push(i);
          return;
        }
        if (performance.now() < timer.expiry) early++;
        fired.push(timer.expiry);
      });
      timers.push(timer);
    }
    let cancelled = 0;
    for (let i = 0; i < 200; i += 3) cancelled += timers[i]!.cancel();
    assert.equal(await io.run(), 200);
    assert.equal(early, 0);
    assert.equal(aborted.length, cancelled);
    assert.equal(fired.length, 200 - cancelled);
    assert.deepEqual(fired, fired.toSorted((a, b) => a - b));
  });

  test("equal expiries complete in the order their waits were made", async () => {
    const io = new Executor();
    const expiry = performance.now() + 2;
    const [a, b, c] = [0, 1, 2].map(() => {
      const timer = new SteadyTimer(io);
      timer.expiresAt(expiry);
      return timer;
    }) as [SteadyTimer, SteadyTimer, SteadyTimer];
    const log: string[] = [];
    c.asyncWait(() => log.push("c1"));
    a.asyncWait(() => log.push("a1"));
    b.asyncWait(() => log.push("b1"));
    c.asyncWait(() => log.push("c2"));
    assert.equal(await io.run(), 4);
    // As in asio, a timer's waits stay together: c's second wait with c.
    assert.deepEqual(log, ["c1", "c2", "a1", "b1"]);
  });

  test("a handler may wait again on its timer", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 1);
    let rounds = 0;
    const tick = (): void => {
      if (++rounds < 3) {
        timer.expiresAfter(1);
        timer.asyncWait(tick);
      }
    };
    timer.asyncWait(tick);
    assert.equal(await io.run(), 3);
    assert.equal(rounds, 3);
  });

  test("timers complete by expiry, not by creation", async () => {
    const io = new Executor();
    const log: string[] = [];
    new SteadyTimer(io, 20).asyncWait(() => log.push("20 ms"));
    new SteadyTimer(io, 1).asyncWait(() => log.push("1 ms"));
    await io.run();
    assert.deepEqual(log, ["1 ms", "20 ms"]);
  });

  test("without an expiry the timer is expired: the handler is posted at once", () => {
    const io = new Executor();
    const timer = new SteadyTimer(io);
    assert.ok(timer.expiry <= performance.now());
    let error: Error | undefined = new Error("not called");
    timer.asyncWait((e) => {
      error = e;
    });
    assert.equal(io.poll(), 1);
    assert.equal(error, undefined);
    assert.equal(timer.cancel(), 0);
  });

  test("a wait on an expired timer stays pending until its handler runs, as in asio", () => {
    const io = new Executor();
    const timer = new SteadyTimer(io);
    const seen: string[] = [];
    const record = (tag: string) => (error?: Error) => {
      seen.push(`${tag}:${error?.name ?? "expired"}`);
    };
    timer.asyncWait(record("a"));
    timer.asyncWait(record("b"));
    assert.equal(timer.cancelOne(), 1); // the oldest: a
    assert.equal(io.poll(), 2);
    timer.asyncWait(record("c"));
    assert.equal(timer.expiresAt(0), 1);
    timer.asyncWait(record("d"));
    io.restart(); // the first poll ran out of work
    assert.equal(io.poll(), 2);
    assert.deepEqual(seen, [
      "a:AbortError",
      "b:expired",
      "c:AbortError",
      "d:expired",
    ]);
    // After its handler ran, a wait is over: nothing left to cancel.
    assert.equal(timer.cancel(), 0);
  });

  test("an async handler counts as work until it settles", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 1);
    const log: string[] = [];
    timer.asyncWait(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      log.push("done");
    });
    await io.run();
    assert.deepEqual(log, ["done"]);
  });

  test("rejects a handler that is not a function; no wait starts", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 60_000);
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => timer.asyncWait(42),
      {
        name: "TypeError",
        message:
          "Cannot wait on timer as 'handler' must be a function: current value is 42",
      },
    );
    assert.equal(timer.cancel(), 0);
    assert.equal(await io.run(), 0); // no work was counted
  });
});

describe("SteadyTimer cancellation", () => {
  test("cancel gives every pending wait an AbortError, exactly once", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 5);
    const errors: (Error | undefined)[] = [];
    timer.asyncWait((e) => errors.push(e));
    timer.asyncWait((e) => errors.push(e));
    assert.equal(timer.cancel(), 2);
    assert.equal(timer.cancel(), 0);
    assert.equal(await io.run(), 2);
    assert.equal(errors.length, 2);
    for (const error of errors) {
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "AbortError");
    }
    // Outlive the original expiry: the handlers are not called again.
    await new SteadyTimer(io, 10).wait();
    io.restart();
    assert.equal(await io.run(), 0);
    assert.equal(errors.length, 2);
  });

  test("cancel from a handler while run() waits", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 60_000);
    let error: Error | undefined;
    timer.asyncWait((e) => {
      error = e;
    });
    setTimeout(() => io.post(() => timer.cancel()), 1);
    assert.equal(await io.run(), 2);
    assert.equal(error?.name, "AbortError");
  });

  test("cancelOne cancels the oldest pending wait", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 2);
    const log: string[] = [];
    timer.asyncWait((e) => log.push(`first ${e?.name ?? "expired"}`));
    timer.asyncWait((e) => log.push(`second ${e?.name ?? "expired"}`));
    assert.equal(timer.cancelOne(), 1);
    await io.run();
    assert.deepEqual(log, ["first AbortError", "second expired"]);
    assert.equal(timer.cancelOne(), 0);
  });

  test("expiresAfter cancels pending waits and sets a new expiry", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 60_000);
    const log: string[] = [];
    timer.asyncWait((e) => log.push(e?.name ?? "expired"));
    const before = performance.now();
    assert.equal(timer.expiresAfter(1), 1);
    assert.ok(timer.expiry >= before + 1);
    timer.asyncWait((e) => log.push(e?.name ?? "expired"));
    await io.run();
    assert.deepEqual(log, ["AbortError", "expired"]);
    assert.equal(timer.expiresAfter(0), 0);
  });

  test("expiresAt cancels pending waits; a past time makes it expired", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 60_000);
    const pending = timer.wait();
    assert.equal(timer.expiresAt(performance.now() - 5), 1);
    await assert.rejects(pending, { name: "AbortError" });
    await timer.wait(); // already expired
    assert.equal(timer.expiresAt(123.5), 0);
    assert.equal(timer.expiry, 123.5);
  });

  test("bad durations throw RangeError/TypeError; nothing changes", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 60_000);
    const expiry = timer.expiry;
    const pending = timer.wait();
    for (const ms of [-1, NaN, Infinity]) {
      assert.throws(() => timer.expiresAfter(ms), {
        name: "RangeError",
        message:
          `Cannot set timer expiry as 'ms' must be a finite number >= 0: current value is ${ms}`,
      });
      assert.throws(() => new SteadyTimer(io, ms), {
        name: "RangeError",
        message:
          `Cannot create timer as 'expiryMs' must be a finite number >= 0: current value is ${ms}`,
      });
    }
    for (const t of [NaN, -Infinity]) {
      assert.throws(() => timer.expiresAt(t), {
        name: "RangeError",
        message:
          `Cannot set timer expiry as 'timeMs' must be a finite number: current value is ${t}`,
      });
    }
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => timer.expiresAfter("1"),
      { name: "TypeError" },
    );
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => new SteadyTimer(null, 1),
      {
        name: "TypeError",
        message:
          "Cannot create timer as 'executor' must be an Executor: current value is null",
      },
    );
    assert.equal(timer.expiry, expiry);
    assert.equal(timer.cancel(), 1); // the wait was still pending
    await assert.rejects(pending, { name: "AbortError" });
  });
});

describe("SteadyTimer: an expired wait is pending until a run takes it", () => {
  // The asyncWait made first completes before a wait() made after it, from
  // the same runtime timer: once wait() resolved, the timer fired while the
  // executor was not running.
  async function expiredWhileIdle(): Promise<{
    io: Executor;
    timer: SteadyTimer;
    outcomes: string[];
  }> {
    const io = new Executor();
    const timer = new SteadyTimer(io, 2);
    const outcomes: string[] = [];
    timer.asyncWait((e) => outcomes.push(e?.name ?? "expired"));
    timer.asyncWait((e) => outcomes.push(e?.name ?? "expired"));
    await timer.wait();
    assert.deepEqual(outcomes, []); // queued, not run
    return { io, timer, outcomes };
  }

  test("expired after asyncWait while idle: cancel() counts and aborts it", async () => {
    const { io, timer, outcomes } = await expiredWhileIdle();
    assert.equal(timer.cancel(), 2);
    assert.equal(timer.cancel(), 0);
    assert.equal(await io.run(), 2);
    assert.deepEqual(outcomes, ["AbortError", "AbortError"]);
  });

  test("expired after asyncWait while idle: cancelOne() takes the oldest", async () => {
    const { io, timer, outcomes } = await expiredWhileIdle();
    assert.equal(timer.cancelOne(), 1);
    assert.equal(await io.run(), 2);
    assert.deepEqual(outcomes, ["AbortError", "expired"]);
  });

  test("expired after asyncWait while idle: expiresAfter and expiresAt count it", async () => {
    const first = await expiredWhileIdle();
    assert.equal(first.timer.expiresAfter(60_000), 2);
    assert.equal(await first.io.run(), 2);
    assert.deepEqual(first.outcomes, ["AbortError", "AbortError"]);
    const second = await expiredWhileIdle();
    assert.equal(second.timer.expiresAt(0), 2);
    assert.equal(await second.io.run(), 2);
    assert.deepEqual(second.outcomes, ["AbortError", "AbortError"]);
  });

  test("expired before asyncWait: the same rule", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io); // expired from the start
    const outcomes: string[] = [];
    timer.asyncWait((e) => outcomes.push(e?.name ?? "expired"));
    timer.asyncWait((e) => outcomes.push(e?.name ?? "expired"));
    assert.equal(timer.cancelOne(), 1);
    assert.equal(await io.run(), 2);
    assert.deepEqual(outcomes, ["AbortError", "expired"]);
  });

  test("once a run took the wait, nothing is left to cancel", async () => {
    const { io, timer, outcomes } = await expiredWhileIdle();
    const counts: number[] = [];
    io.post(() => counts.push(timer.cancel())); // queued after both waits
    assert.equal(await io.run(), 3);
    assert.deepEqual(outcomes, ["expired", "expired"]);
    io.restart();
    timer.asyncWait(() => counts.push(timer.cancel())); // its own handler
    assert.equal(await io.run(), 1);
    assert.deepEqual(counts, [0, 0]);
  });

  test("without a cancel the handlers get success, in order", async () => {
    const { io, outcomes } = await expiredWhileIdle();
    assert.equal(await io.run(), 2);
    assert.deepEqual(outcomes, ["expired", "expired"]);
  });
});

describe("SteadyTimer runtime timer", () => {
  test("one runtime timer per executor, cleared by every way of cancelling", async () => {
    await withLiveTimers(async (live) => {
      const io = new Executor();
      const timer = new SteadyTimer(io, 60_000);
      timer.asyncWait(() => {});
      timer.asyncWait(() => {});
      assert.equal(live.size, 1);
      timer.cancel();
      assert.equal(live.size, 0);

      timer.asyncWait(() => {});
      timer.asyncWait(() => {});
      timer.cancelOne();
      assert.equal(live.size, 1);
      timer.cancelOne();
      assert.equal(live.size, 0);

      timer.asyncWait(() => {});
      assert.equal(timer.expiresAfter(60_000), 1);
      assert.equal(live.size, 0);

      const controller = new AbortController();
      const waiting = timer.wait(controller.signal);
      assert.equal(live.size, 1);
      controller.abort();
      assert.equal(live.size, 0);
      await assert.rejects(waiting, { name: "AbortError" });
      assert.equal(await io.run(), 5);
    });
  });

  test("the timers of one executor share one runtime timer", async () => {
    await withLiveTimers(async (live) => {
      const io = new Executor();
      const other = new Executor();
      const timers = [60_000, 30_000, 90_000].map((ms) =>
        new SteadyTimer(io, ms)
      );
      for (const timer of timers) timer.asyncWait(() => {});
      assert.equal(live.size, 1);
      const otherTimer = new SteadyTimer(other, 60_000);
      const otherWait = otherTimer.wait();
      assert.equal(live.size, 2); // one per executor
      assert.equal(timers[1]!.cancel(), 1); // the earliest: stays armed
      assert.equal(timers[0]!.cancel(), 1);
      assert.equal(live.size, 2);
      assert.equal(timers[2]!.cancel(), 1); // the last one: cleared
      assert.equal(live.size, 1);
      assert.equal(await io.run(), 3);
      assert.equal(otherTimer.cancel(), 1);
      assert.equal(live.size, 0);
      await assert.rejects(otherWait, { name: "AbortError" });
    });
  });

  test("a runtime timer that fires early is re-armed, never trusted", async () => {
    const { setTimeout: realSet } = globalThis;
    let early = 0;
    // Fire every runtime timer at once, long before its delay.
    globalThis.setTimeout = ((cb: () => void, ms?: number) => {
      if ((ms ?? 0) > 0) early++;
      return realSet(cb, 0);
    }) as typeof setTimeout;
    try {
      const io = new Executor();
      // Far enough ahead that a busy machine cannot let it expire before
      // the wait starts (an expired timer's wait arms no runtime timer).
      const timer = new SteadyTimer(io, 30);
      let late: boolean | undefined;
      timer.asyncWait(() => {
        late = performance.now() >= timer.expiry;
      });
      assert.equal(await io.run(), 1);
      assert.equal(late, true);
      assert.ok(early > 0);
    } finally {
      globalThis.setTimeout = realSet;
    }
  });

  test("none is left once the timer expired", async () => {
    await withLiveTimers(async (live) => {
      const io = new Executor();
      new SteadyTimer(io, 1).asyncWait(() => {});
      assert.equal(await io.run(), 1);
      assert.equal(live.size, 0);
    });
  });

  test("a run() with a deadline clears its wake-up timer", async () => {
    await withLiveTimers(async (live) => {
      const io = new Executor();
      const guard = io.makeWorkGuard();
      const running = io.runFor(60_000);
      io.post(() => guard.reset());
      assert.equal(await running, 1);
      assert.equal(live.size, 0);
    });
  });
});

describe("SteadyTimer.wait", () => {
  test("resolves after the expiry without running the executor", async () => {
    const io = new Executor();
    const timer = new SteadyTimer(io, 5);
    await timer.wait();
    assert.ok(performance.now() >= timer.expiry);
    assert.equal(io.poll(), 0); // posted nothing, counted no work
  });

  test("a signal aborts only its own wait", async () => {
    const timer = new SteadyTimer(new Executor(), 60_000);
    const controller = new AbortController();
    const aborted = timer.wait(controller.signal);
    const other = timer.wait();
    controller.abort(new Error("my reason"));
    await assert.rejects(aborted, { message: "my reason" });
    assert.equal(timer.cancel(), 1); // only the other one was pending
    await assert.rejects(other, { name: "AbortError" });
  });

  test("aborting a later wait keeps the order of the others", async () => {
    const io = new Executor();
    // Not expired before the waits start, even on a busy machine: a wait()
    // on an expired timer resolves at once.
    const timer = new SteadyTimer(io, 30);
    const log: string[] = [];
    const controller = new AbortController();
    timer.asyncWait((e) => log.push(`a ${e?.name ?? "expired"}`));
    const b = timer.wait(controller.signal);
    timer.asyncWait((e) => log.push(`c ${e?.name ?? "expired"}`));
    timer.asyncWait((e) => log.push(`d ${e?.name ?? "expired"}`));
    controller.abort();
    await assert.rejects(b, { name: "AbortError" });
    assert.equal(timer.cancelOne(), 1); // a
    assert.equal(await io.run(), 3);
    assert.deepEqual(log, ["a AbortError", "c expired", "d expired"]);
  });

  test("an already aborted signal rejects at once", async () => {
    const timer = new SteadyTimer(new Executor(), 60_000);
    await assert.rejects(timer.wait(AbortSignal.abort()), {
      name: "AbortError",
    });
    assert.equal(timer.cancel(), 0);
  });

  test("a signal that is not an AbortSignal rejects with TypeError", async () => {
    const timer = new SteadyTimer(new Executor(), 60_000);
    await assert.rejects(
      // @ts-expect-error: testing a bad argument
      timer.wait({ aborted: false }),
      {
        name: "TypeError",
        message:
          "Cannot wait on timer as 'signal' must be an AbortSignal: current value is {\"aborted\":false}",
      },
    );
    assert.equal(timer.cancel(), 0);
  });

  test("an expiry beyond setTimeout's range does not fire early", async () => {
    const timer = new SteadyTimer(new Executor(), 2 ** 32);
    let settled = false;
    const waiting = timer.wait().then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(settled, false);
    assert.equal(timer.cancel(), 1);
    await waiting;
  });
});
