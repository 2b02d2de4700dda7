// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import process from "node:process";
import { Executor } from "../../src/executor.ts";
import { MAX_TIMEOUT_MS } from "../../src/_util/long_timeout.ts";

function later(fn: () => void, ms = 1): void {
  setTimeout(fn, ms);
}

/** Keeps the thread busy for `ms` milliseconds: a slow handler. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("Executor construction", () => {
  test("has a default name and takes one", () => {
    assert.equal(new Executor().name, "executor");
    assert.equal(new Executor({ name: "io" }).name, "io");
    assert.equal(new Executor().stopped, false);
    assert.equal(new Executor().runningInThisThread, false);
  });

  test("rejects a name that is not a string", () => {
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => new Executor({ name: 42 }),
      {
        name: "TypeError",
        message:
          "Cannot create executor as 'name' must be a string: current value is 42",
      },
    );
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => new Executor("io"),
      {
        name: "TypeError",
        message:
          `Cannot create executor as 'options' must be an object: current value is "io"`,
      },
    );
    // @ts-expect-error: null reads as no options, as in Web IDL
    assert.equal(new Executor(null).name, "executor");
  });
});

describe("Executor.post", () => {
  test("runs handlers in FIFO order and resolves with the count", async () => {
    const io = new Executor();
    const log: number[] = [];
    for (let i = 0; i < 100; i++) io.post(() => log.push(i));
    assert.equal(await io.run(), 100);
    assert.deepEqual(log, Array.from({ length: 100 }, (_, i) => i));
  });

  test("never runs the handler inside the call, even from a handler", async () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(() => {
      io.post(() => log.push("inner"));
      log.push("outer end");
    });
    assert.deepEqual(log, []);
    assert.equal(await io.run(), 2);
    assert.deepEqual(log, ["outer end", "inner"]);
  });

  test("handlers posted by handlers keep run() going", async () => {
    const io = new Executor();
    let left = 1000;
    const step = (): void => {
      if (--left > 0) io.post(step);
    };
    io.post(step);
    assert.equal(await io.run(), 1000);
    assert.equal(left, 0);
    assert.equal(io.stopped, true);
  });

  test("rejects a handler that is not a function, state unchanged", () => {
    const io = new Executor();
    for (const bad of [42, "f", null, undefined, {}]) {
      assert.throws(
        // @ts-expect-error: testing a bad argument
        () => io.post(bad),
        { name: "TypeError" },
      );
    }
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => io.post(42),
      {
        name: "TypeError",
        message:
          "Cannot post handler as it must be a function: current value is 42",
      },
    );
    assert.equal(io.stopped, false);
    assert.equal(io.poll(), 0); // nothing was queued
  });

  test("a post from outside wakes a waiting run at once", async () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    const ran: string[] = [];
    const running = io.run();
    later(() =>
      io.post(() => {
        ran.push("from timer");
        guard.reset();
      })
    );
    Promise.resolve().then(() => io.post(() => ran.push("from microtask")));
    assert.equal(await running, 2);
    assert.deepEqual(ran, ["from microtask", "from timer"]);
  });
});

describe("Executor.dispatch", () => {
  test("runs inline inside a handler of the same executor", async () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(() => {
      log.push("a start");
      io.dispatch(() => {
        log.push("b");
        io.dispatch(() => log.push("c nested"));
      });
      log.push("a end");
    });
    // Inline handlers are not counted (asio counts scheduled handlers).
    assert.equal(await io.run(), 1);
    assert.deepEqual(log, ["a start", "b", "c nested", "a end"]);
  });

  test("queues when called outside a handler", async () => {
    const io = new Executor();
    let ran = false;
    io.dispatch(() => {
      ran = true;
    });
    assert.equal(ran, false);
    assert.equal(await io.run(), 1);
    assert.equal(ran, true);
  });

  test("queues when called from another executor's handler", async () => {
    const a = new Executor();
    const b = new Executor();
    const log: string[] = [];
    a.post(() => {
      b.dispatch(() => log.push("b handler"));
      log.push("a handler");
    });
    await a.run();
    assert.deepEqual(log, ["a handler"]);
    assert.equal(await b.run(), 1);
    assert.deepEqual(log, ["a handler", "b handler"]);
  });

  test("an inline handler's throw reaches its caller", async () => {
    const io = new Executor();
    let caught: unknown;
    io.post(() => {
      try {
        io.dispatch(() => {
          throw new Error("inline");
        });
      } catch (error) {
        caught = error;
      }
    });
    assert.equal(await io.run(), 1);
    assert.equal((caught as Error).message, "inline");
  });

  test("rejects a handler that is not a function", () => {
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => new Executor().dispatch(42),
      {
        name: "TypeError",
        message:
          "Cannot dispatch handler as it must be a function: current value is 42",
      },
    );
  });
});

describe("Executor.defer", () => {
  test("from a handler, holds the handler until it returns", async () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(() => {
      io.defer(() => log.push("deferred"));
      io.post(() => log.push("posted 1"));
      io.post(() => log.push("posted 2"));
      log.push("handler end");
    });
    assert.equal(await io.run(), 4);
    assert.deepEqual(log, ["handler end", "posted 1", "posted 2", "deferred"]);
  });

  test("from an inline dispatch, holds until the outer handler returns", async () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(() => {
      io.dispatch(() => io.defer(() => log.push("deferred")));
      io.post(() => log.push("posted"));
    });
    await io.run();
    assert.deepEqual(log, ["posted", "deferred"]);
  });

  test("outside a handler, is post", async () => {
    const io = new Executor();
    const log: string[] = [];
    io.defer(() => log.push("a"));
    io.post(() => log.push("b"));
    assert.equal(await io.run(), 2);
    assert.deepEqual(log, ["a", "b"]);
  });

  test("a throwing handler's deferred handlers are not lost", async () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(() => {
      io.defer(() => log.push("deferred"));
      throw new Error("boom");
    });
    await assert.rejects(io.run(), { message: "boom" });
    assert.equal(await io.run(), 1);
    assert.deepEqual(log, ["deferred"]);
  });

  test("rejects a handler that is not a function", () => {
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => new Executor().defer("x"),
      {
        name: "TypeError",
        message:
          'Cannot defer handler as it must be a function: current value is "x"',
      },
    );
  });
});

describe("Executor.run", () => {
  test("with no work at entry, stops and resolves 0", async () => {
    const io = new Executor();
    assert.equal(await io.run(), 0);
    assert.equal(io.stopped, true);
  });

  test("out of work, stops; restart() is needed to run again", async () => {
    const io = new Executor();
    io.post(() => {});
    assert.equal(await io.run(), 1);
    assert.equal(io.stopped, true);
    let ran = false;
    io.post(() => {
      ran = true;
    });
    assert.equal(await io.run(), 0);
    assert.equal(ran, false);
    io.restart();
    assert.equal(io.stopped, false);
    assert.equal(await io.run(), 1);
    assert.equal(ran, true);
  });

  test("a throwing handler rejects run(); not stopped, nothing lost", async () => {
    const io = new Executor();
    const log: string[] = [];
    const error = new Error("boom");
    io.post(() => log.push("1"));
    io.post(() => {
      throw error;
    });
    io.post(() => log.push("3"));
    io.post(() => log.push("4"));
    await assert.rejects(io.run(), (e) => e === error);
    assert.deepEqual(log, ["1"]);
    assert.equal(io.stopped, false);
    assert.equal(io.runningInThisThread, false);
    assert.equal(await io.run(), 2);
    assert.deepEqual(log, ["1", "3", "4"]);
  });

  test("async handlers count as work until they settle", async () => {
    const io = new Executor();
    const gate = deferred();
    const log: string[] = [];
    io.post(async () => {
      log.push("start");
      await gate.promise;
      log.push("end");
    });
    const running = io.run();
    let settled = false;
    running.then(() => (settled = true));
    later(() => {
      assert.equal(settled, false); // still waiting on the handler's promise
      gate.resolve();
    });
    assert.equal(await running, 1);
    assert.deepEqual(log, ["start", "end"]);
    assert.equal(io.stopped, true);
  });

  test("a rejected async handler rejects run(); the next run goes on", async () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(async () => {
      await null;
      throw new Error("async boom");
    });
    io.post(() => log.push("b"));
    await assert.rejects(io.run(), { message: "async boom" });
    assert.equal(io.stopped, false);
    io.post(() => log.push("c"));
    await io.run();
    assert.deepEqual(log, ["b", "c"]);
  });

  test("an async rejection with no active run rejects the next run", async () => {
    const io = new Executor();
    const gate = deferred();
    io.post(() => gate.promise);
    assert.equal(io.poll(), 1); // the promise is outstanding work
    assert.equal(io.stopped, false);
    gate.reject(new Error("later"));
    await gate.promise.catch(() => {});
    await assert.rejects(io.run(), { message: "later" });
    assert.equal(await io.run(), 0);
  });

  test("stop() from a handler returns after it; queued handlers are kept", async () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(() => {
      log.push("a");
      io.stop();
      log.push("a after stop");
    });
    io.post(() => log.push("b"));
    io.post(() => log.push("c"));
    assert.equal(await io.run(), 1);
    assert.equal(io.stopped, true);
    assert.equal(await io.run(), 0); // stopped: returns at once
    assert.deepEqual(log, ["a", "a after stop"]);
    io.restart();
    assert.equal(await io.run(), 2);
    assert.deepEqual(log, ["a", "a after stop", "b", "c"]);
  });

  test("stop() from outside ends a waiting run", async () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    const running = io.run();
    later(() => io.stop());
    assert.equal(await running, 0);
    assert.equal(io.stopped, true);
    guard.reset();
  });

  test("stop() from outside ends a busy run; the re-posting handler is kept", async () => {
    const io = new Executor();
    let spins = 0;
    const spin = (): void => {
      // Bounded, so that a run that never yields fails instead of hanging.
      if (++spins < 10_000_000) io.post(spin);
    };
    io.post(spin);
    later(() => io.stop());
    const count = await io.run();
    assert.equal(count, spins);
    assert.ok(count < 10_000_000, "the timer never ran");
    io.restart();
    assert.equal(await io.runOne(), 1); // the spinner was still queued
    io.stop();
  });

  test("a handler that re-posts itself forever does not starve a timer", async () => {
    const io = new Executor();
    let timerFired = false;
    let spins = 0;
    const spin = (): void => {
      spins++;
      // Bounded, so that a run that never yields fails instead of hanging.
      if (timerFired || spins >= 10_000_000) return;
      io.post(spin);
    };
    io.post(spin);
    later(() => {
      timerFired = true;
    });
    const count = await io.run();
    assert.equal(timerFired, true);
    assert.equal(count, spins);
    assert.ok(spins > 1);
  });

  test("slow handlers get the clock read after each, even after a burst of fast ones", async () => {
    const io = new Executor();
    // Thousands of fast handlers let the clock be read rarely...
    for (let i = 0; i < 100_000; i++) io.post(() => {});
    await io.run();
    io.restart();
    // ...which must not carry over to the next run's slow handlers.
    for (let i = 0; i < 50; i++) io.post(() => spin(2));
    const ran = await io.runFor(10);
    assert.ok(ran >= 1 && ran <= 8, `ran ${ran} of 50 handlers in 10 ms`);
  });

  test("a fresh executor's first slow handler ends the slice", async () => {
    const io = new Executor();
    let ran = 0;
    for (let i = 0; i < 20; i++) {
      io.post(() => {
        ran++;
        spin(3);
      });
    }
    let ranBeforeTimer = -1;
    later(() => {
      ranBeforeTimer = ran;
    }, 0);
    assert.equal(await io.run(), 20);
    assert.ok(
      ranBeforeTimer >= 1 && ranBeforeTimer <= 3,
      `${ranBeforeTimer} handlers ran before a due timer`,
    );
  });

  test("socket I/O keeps flowing while a run stays busy", async () => {
    const server = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve)
    );
    const { port } = server.address() as { port: number };
    const client = connect(port, "127.0.0.1");
    await new Promise((resolve) => client.once("connect", resolve));
    const io = new Executor();
    let handlers = 0;
    const busy = (): void => {
      handlers++;
      spin(0.02);
      io.post(busy);
    };
    io.post(busy);
    const running = io.run();
    const start = handlers;
    for (let i = 0; i < 3; i++) {
      const echoed = new Promise((resolve) => client.once("data", resolve));
      client.write("x");
      await echoed;
    }
    const during = handlers - start;
    io.stop();
    await running;
    client.destroy();
    server.close();
    // About 50 handlers fit in a 1 ms slice. Under Deno a busy run used to
    // let sockets through once every ~60 slices (3000 handlers per event).
    assert.ok(during < 6000, `${during} handlers ran during 3 round trips`);
  });

  test("waits for work without spinning: the CPU stays idle", async () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    let immediates = 0;
    const original = globalThis.setImmediate;
    // Counts event-loop turns the executor would take while waiting.
    globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
      immediates++;
      return original(...args);
    }) as typeof setImmediate;
    try {
      const before = process.cpuUsage();
      const running = io.run();
      later(() => io.post(() => guard.reset()), 200);
      assert.equal(await running, 1);
      const used = process.cpuUsage(before);
      // Spinning for 200 ms would use about 200 ms of CPU.
      assert.ok(
        (used.user + used.system) / 1000 < 100,
        `used ${used.user + used.system} µs of CPU while waiting`,
      );
      assert.equal(immediates, 0);
    } finally {
      globalThis.setImmediate = original;
    }
  });

  test("two concurrent runs share the queue and both return", async () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    const a = io.run();
    const b = io.run();
    for (let i = 0; i < 10; i++) io.post(() => {});
    later(() => guard.reset());
    const [ca, cb] = await Promise.all([a, b]);
    assert.equal(ca + cb, 10);
  });
});

describe("Executor.track", () => {
  test("counts work until the promise settles, then posts the outcome", async () => {
    const io = new Executor();
    const results: PromiseSettledResult<number>[] = [];
    const ok = deferred<number>();
    const bad = deferred<number>();
    io.track(ok.promise, (r) => results.push(r));
    io.track(bad.promise, (r) => results.push(r));
    const running = io.run();
    later(() => ok.resolve(7));
    later(() => bad.reject(new Error("no")), 5);
    assert.equal(await running, 2);
    assert.deepEqual(results[0], { status: "fulfilled", value: 7 });
    assert.equal(results[1]?.status, "rejected");
    assert.equal(
      ((results[1] as PromiseRejectedResult).reason as Error).message,
      "no",
    );
  });

  test("works from promise callbacks and outside any run", async () => {
    const io = new Executor();
    const seen: string[] = [];
    await Promise.resolve().then(() =>
      io.track(Promise.resolve("x"), (r) => {
        if (r.status === "fulfilled") seen.push(r.value);
      })
    );
    assert.equal(await io.run(), 1);
    assert.deepEqual(seen, ["x"]);
  });

  test("rejects bad arguments, nothing tracked", async () => {
    const io = new Executor();
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => io.track(42, () => {}),
      {
        name: "TypeError",
        message:
          "Cannot track promise as it must be a promise or thenable: current value is 42",
      },
    );
    assert.throws(
      // @ts-expect-error: testing a bad argument
      () => io.track(Promise.resolve(), null),
      {
        name: "TypeError",
        message:
          "Cannot track promise as 'handler' must be a function: current value is null",
      },
    );
    assert.equal(await io.run(), 0); // no work was counted
  });
});

describe("Executor.runOne", () => {
  test("runs one handler and returns 1, or 0 without work", async () => {
    const io = new Executor();
    const log: number[] = [];
    io.post(() => log.push(1));
    io.post(() => log.push(2));
    assert.equal(await io.runOne(), 1);
    assert.deepEqual(log, [1]);
    assert.equal(io.stopped, false);
    assert.equal(await io.runOne(), 1);
    assert.equal(io.stopped, true); // out of work after the last one
    io.restart();
    assert.equal(await io.runOne(), 0);
    assert.equal(io.stopped, true);
  });

  test("waits for a handler posted later", async () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    later(() => io.post(() => {}));
    assert.equal(await io.runOne(), 1);
    assert.equal(io.stopped, false);
    guard.reset();
  });
});

describe("Executor.runFor / runUntil", () => {
  test("runFor runs ready handlers and returns when out of work", async () => {
    const io = new Executor();
    io.post(() => {});
    io.post(() => {});
    assert.equal(await io.runFor(10_000), 2);
    assert.equal(io.stopped, true);
  });

  test("runFor returns once the time is up while work is outstanding", async () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    io.post(() => {});
    const start = performance.now();
    assert.equal(await io.runFor(20), 1);
    assert.ok(performance.now() >= start + 20);
    assert.equal(io.stopped, false);
    guard.reset();
  });

  test("runFor waits and is woken by a post", async () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    later(() => io.post(() => guard.reset()));
    assert.equal(await io.runFor(10_000), 1);
    assert.equal(io.stopped, true);
  });

  // Deadlines beyond setTimeout's range: a runtime timer armed with such a
  // delay fires at once, so the wait must re-arm for what is left instead.
  const farDeadlines: [string, (io: Executor) => Promise<number>][] = [
    ["runFor", (io) => io.runFor(2 ** 32)],
    ["runUntil", (io) => io.runUntil(performance.now() + 2 ** 32)],
  ];
  for (const [method, runFar] of farDeadlines) {
    test(`${method} beyond setTimeout's range waits until stopped`, async () => {
      const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
      // Runtime timers of a minute or more are held here, not armed: the
      // test fires them itself, as if their delay had passed.
      const held = new Map<number, () => void>();
      const delays: number[] = [];
      let armed = deferred();
      let nextId = -1;
      globalThis.setTimeout = ((callback: () => void, ms = 0) => {
        if (ms < 60_000) return realSet(callback, ms);
        delays.push(ms);
        held.set(nextId, callback);
        armed.resolve();
        return nextId--;
      }) as typeof setTimeout;
      globalThis.clearTimeout = ((id: number) => {
        if (!held.delete(id)) realClear(id);
      }) as typeof clearTimeout;
      try {
        const io = new Executor();
        const guard = io.makeWorkGuard();
        io.post(() => {});
        const run = runFar(io);
        await armed.promise; // the run ran the handler and waits
        // The runtime timer's delay passes (24.8 days): the wait goes on.
        armed = deferred();
        const [id, elapse] = [...held][0]!;
        held.delete(id);
        elapse();
        await armed.promise;
        const ran = deferred();
        io.post(() => ran.resolve());
        await ran.promise; // still running: it ran the new handler
        io.stop();
        assert.equal(await run, 2);
        assert.equal(held.size, 0); // the last wait's timer was cleared
        assert.ok(delays.length >= 3);
        for (const ms of delays) assert.equal(ms, MAX_TIMEOUT_MS);
        guard.reset();
      } finally {
        globalThis.setTimeout = realSet;
        globalThis.clearTimeout = realClear;
      }
    });
  }

  test("runUntil with a deadline in the past runs nothing", async () => {
    const io = new Executor();
    io.post(() => {});
    assert.equal(await io.runUntil(performance.now() - 1), 0);
    assert.equal(io.stopped, false);
    assert.equal(await io.runUntil(performance.now() + 10_000), 1);
  });

  test("bad durations reject with RangeError/TypeError, state unchanged", async () => {
    const io = new Executor();
    io.post(() => {});
    for (const ms of [-1, NaN, Infinity, -Infinity]) {
      await assert.rejects(io.runFor(ms), {
        name: "RangeError",
        message:
          `Cannot run executor as 'ms' must be a finite number >= 0: current value is ${ms}`,
      });
    }
    await assert.rejects(
      // @ts-expect-error: testing a bad argument
      io.runFor("5"),
      {
        name: "TypeError",
        message:
          "Cannot run executor as 'ms' must be a finite number >= 0: current value is \"5\"",
      },
    );
    for (const t of [NaN, Infinity]) {
      await assert.rejects(io.runUntil(t), {
        name: "RangeError",
        message:
          `Cannot run executor as 'deadlineMs' must be a finite number: current value is ${t}`,
      });
    }
    assert.equal(io.stopped, false);
    assert.equal(await io.run(), 1); // the handler was not touched
  });
});

describe("Executor.poll / pollOne", () => {
  test("poll runs ready handlers, including those they post", () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(() => {
      log.push("a");
      io.post(() => log.push("c"));
    });
    io.post(() => log.push("b"));
    assert.equal(io.poll(), 3);
    assert.deepEqual(log, ["a", "b", "c"]);
    assert.equal(io.stopped, true); // out of work
  });

  test("poll never waits for outstanding work", () => {
    const io = new Executor();
    const guard = io.makeWorkGuard();
    assert.equal(io.poll(), 0);
    assert.equal(io.stopped, false);
    guard.reset();
    assert.equal(io.poll(), 0);
    assert.equal(io.stopped, true);
  });

  test("pollOne runs at most one handler", () => {
    const io = new Executor();
    io.post(() => {});
    io.post(() => {});
    assert.equal(io.pollOne(), 1);
    assert.equal(io.pollOne(), 1);
    assert.equal(io.pollOne(), 0);
  });

  test("a throw is rethrown synchronously; the rest stay queued", () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(() => {
      throw new RangeError("sync");
    });
    io.post(() => log.push("next"));
    assert.throws(() => io.poll(), { name: "RangeError", message: "sync" });
    assert.equal(io.stopped, false);
    assert.deepEqual(log, []);
    assert.equal(io.poll(), 1);
    assert.deepEqual(log, ["next"]);
  });

  test("a handler may poll its own executor (nested)", () => {
    const io = new Executor();
    const log: string[] = [];
    io.post(() => {
      log.push("a");
      io.post(() => log.push("c"));
      io.defer(() => log.push("d deferred by a"));
      // Runs every ready handler inside a; a's deferred one stays held.
      assert.equal(io.poll(), 3);
      log.push("a end");
    });
    io.post(() => log.push("b"));
    io.post(() => log.push("e"));
    assert.equal(io.poll(), 2); // a, then what a deferred; nothing twice
    assert.deepEqual(log, ["a", "b", "e", "c", "a end", "d deferred by a"]);
    assert.equal(io.stopped, true);
  });

  test("poll returns 0 while stopped", () => {
    const io = new Executor();
    io.post(() => {});
    io.stop();
    assert.equal(io.poll(), 0);
    assert.equal(io.pollOne(), 0);
    io.restart();
    assert.equal(io.poll(), 1);
  });
});

describe("Executor.runningInThisThread", () => {
  test("is true only in the synchronous part of its handlers", async () => {
    const io = new Executor();
    const other = new Executor();
    const seen: boolean[] = [];
    io.post(async () => {
      seen.push(io.runningInThisThread, other.runningInThisThread);
      await null;
      seen.push(io.runningInThisThread);
    });
    assert.equal(io.runningInThisThread, false);
    await io.run();
    assert.deepEqual(seen, [true, false, false]);
    assert.equal(io.runningInThisThread, false);
  });

  test("is false again after a handler threw", async () => {
    const io = new Executor();
    io.post(() => {
      throw new Error("x");
    });
    await assert.rejects(io.run());
    assert.equal(io.runningInThisThread, false);
    let ran = false;
    io.dispatch(() => (ran = true)); // queued, not inline
    assert.equal(ran, false);
    await io.run();
    assert.equal(ran, true);
  });
});
