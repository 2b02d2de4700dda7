// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PoolClosedError,
  ThreadPool,
  type ThreadPoolOptions,
  type ThreadPoolStats,
  WorkerCrashedError,
} from "../../src/thread_pool.ts";

const TASKS = new URL("../fixtures/pool_tasks.ts", import.meta.url);
const BAD_MODULE = new URL("../fixtures/pool_bad_module.ts", import.meta.url);
const DIES_AT_START = new URL(
  "../fixtures/pool_dies_at_start.ts",
  import.meta.url,
);

function pool(options: ThreadPoolOptions = {}): ThreadPool {
  return new ThreadPool(TASKS, { threads: 1, ...options });
}

/**
 * Shared memory a `hold`/`hang` task uses to say it started, and that
 * `release` uses to let a `hold` task finish.
 */
class Gate {
  readonly buffer = new SharedArrayBuffer(8);
  #cells = new Int32Array(this.buffer);

  /** Resolves once the task started (bounded: rejects after 10 s). */
  async started(): Promise<void> {
    const wait = Atomics.waitAsync(this.#cells, 0, 0, 10_000);
    const outcome = wait.async ? await wait.value : wait.value;
    assert.notEqual(outcome, "timed-out", "the task never started");
  }

  release(): void {
    Atomics.store(this.#cells, 1, 1);
    Atomics.notify(this.#cells, 1);
  }
}

/** The counters of `stats`, without the timings. */
function counters(
  { threads, idle, queued, running, completed, failed, crashed }:
    ThreadPoolStats,
) {
  return { threads, idle, queued, running, completed, failed, crashed };
}

/** Waits (bounded) until `condition` holds; for states with no event. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(condition(), "condition never held");
}

describe("ThreadPool constructor", () => {
  test("rejects a module that is neither a URL nor a path", () => {
    for (const module of [42, "", "  ", "http://[bad", null]) {
      assert.throws(
        () => new ThreadPool(module as unknown as string),
        (error: unknown) => {
          assert.ok(error instanceof TypeError);
          assert.match(
            error.message,
            /^Cannot create thread pool as 'module' must be a URL, an absolute path or a path relative to the working directory: current value is /,
          );
          return true;
        },
      );
    }
  });

  test("rejects bad options with RangeError or TypeError", () => {
    assert.throws(() => new ThreadPool(TASKS, { threads: 0 }), {
      name: "RangeError",
      message:
        "Cannot create thread pool as 'threads' must be a positive integer: current value is 0",
    });
    assert.throws(() => new ThreadPool(TASKS, { threads: 1.5 }), RangeError);
    assert.throws(() => new ThreadPool(TASKS, { maxQueue: -1 }), {
      name: "RangeError",
      message:
        "Cannot create thread pool as 'maxQueue' must be a non-negative integer or Infinity: current value is -1",
    });
    assert.throws(() => new ThreadPool(TASKS, { idleTimeoutMs: -1 }), {
      name: "RangeError",
      message:
        "Cannot create thread pool as 'idleTimeoutMs' must be a non-negative number of milliseconds: current value is -1",
    });
    assert.throws(
      () => new ThreadPool(TASKS, { taskTimeoutMs: 0 }),
      RangeError,
    );
    assert.throws(
      () => new ThreadPool(TASKS, { name: 1 as unknown as string }),
      TypeError,
    );
    assert.throws(
      () => new ThreadPool(TASKS, { threads: "2" as unknown as number }),
      {
        name: "TypeError",
        message:
          `Cannot create thread pool as 'threads' must be a positive integer: current value is "2"`,
      },
    );
    assert.throws(
      () => new ThreadPool(TASKS, { maxQueue: "5" as unknown as number }),
      TypeError,
    );
    assert.throws(
      () => new ThreadPool(TASKS, 2 as unknown as ThreadPoolOptions),
      {
        name: "TypeError",
        message:
          "Cannot create thread pool as 'options' must be an object: current value is 2",
      },
    );
  });

  test("timeouts beyond setTimeout's range do not fire early", async () => {
    await using p = pool({ taskTimeoutMs: 2 ** 32, idleTimeoutMs: 2 ** 32 });
    assert.equal(await p.run("later", ["slow", 30]), "slow");
    assert.equal(
      await p.run("later", ["slower", 30], { timeoutMs: 2 ** 31 }),
      "slower",
    );
    assert.equal(
      await p.run("later", ["slowest", 30], {
        timeoutMs: Number.MAX_SAFE_INTEGER,
      }),
      "slowest",
    );
  });

  test("accepts an absolute path and a path relative to the working directory", async () => {
    await using absolute = new ThreadPool(decodeURIComponent(TASKS.pathname), {
      threads: 1,
    });
    assert.equal(await absolute.run("add", [1, 2]), 3);
    await using relative = new ThreadPool("tests/fixtures/pool_tasks.ts", {
      threads: 1,
    });
    assert.equal(await relative.run("add", [2, 2]), 4);
  });

  test("starts no worker before the first task", async () => {
    await using p = pool();
    assert.deepEqual(counters(p.stats), {
      threads: 0,
      idle: 0,
      queued: 0,
      running: 0,
      completed: 0,
      failed: 0,
      crashed: 0,
    });
  });
});

describe("ThreadPool.run and map", () => {
  test("runs sync and async tasks and returns their results", async () => {
    await using p = pool({ threads: 2 });
    assert.equal(await p.run("add", [2, 3]), 5);
    assert.equal(await p.run("later", ["done", 1]), "done");
    assert.deepEqual(await p.run("identity", [{ a: [1, 2], d: new Date(0) }]), {
      a: [1, 2],
      d: new Date(0),
    });
    assert.equal(typeof await p.run("workerId"), "number");
    await assert.rejects(p.map("identity", 5 as unknown as unknown[][]), {
      name: "TypeError",
      message:
        "Cannot map task 'identity' as 'argsList' must be iterable: current value is 5",
    });
    await assert.rejects(
      p.map("identity", [[1], 2 as unknown as unknown[]]),
      TypeError,
    );
  });

  test("runs many tasks on every thread and keeps each result with its task", async () => {
    await using p = pool({ threads: 2 });
    const inputs = Array.from({ length: 3000 }, (_, i) => [i]);
    const results = await p.map<number>("identity", inputs);
    assert.deepEqual(results, inputs.map(([i]) => i));
    assert.equal(p.stats.completed, 3000);
    assert.equal(p.stats.threads, 2);
  });

  test("short tasks do not wait behind a long one while another worker is free", async () => {
    await using p = pool({ threads: 2 });
    const gate = new Gate();
    // Submitted together: some short tasks are sent to the long task's
    // worker with it, and must be taken back by the other worker.
    let longDone = false;
    const long = p.run("hold", [gate.buffer, "long"]).finally(() => {
      longDone = true;
    });
    const inputs = Array.from({ length: 400 }, (_, i) => [i]);
    const short = p.map<number>("identity", inputs);
    await gate.started();
    assert.deepEqual(await short, inputs.map(([i]) => i));
    assert.equal(longDone, false, "the short tasks waited for the long one");
    assert.deepEqual(
      { running: p.stats.running, queued: p.stats.queued },
      { running: 1, queued: 0 },
    );
    gate.release();
    assert.equal(await long, "long");
    assert.equal(p.stats.crashed, 0);
    assert.equal(p.stats.completed, 401);
  });

  test("bad input gets a clear error and the pool stays healthy", async () => {
    await using p = pool();
    await assert.rejects(p.run(7 as unknown as string), {
      name: "TypeError",
      message: "Cannot run task as 'name' must be a string: current value is 7",
    });
    await assert.rejects(p.run("add", 1 as unknown as unknown[]), {
      name: "TypeError",
      message:
        "Cannot run task 'add' as 'args' must be an array: current value is 1",
    });
    await assert.rejects(p.run("add", [], { timeoutMs: -5 }), {
      name: "RangeError",
      message:
        "Cannot run task 'add' as 'timeoutMs' must be a positive number of milliseconds: current value is -5",
    });
    await assert.rejects(p.run("add", [], { timeoutMs: "5" as never }), {
      name: "TypeError",
      message:
        `Cannot run task 'add' as 'timeoutMs' must be a positive number of milliseconds: current value is "5"`,
    });
    await assert.rejects(
      p.run("add", [], { signal: {} as AbortSignal }),
      TypeError,
    );
    await assert.rejects(
      p.run("add", [], { transfer: {} as Transferable[] }),
      TypeError,
    );
    await assert.rejects(p.run("add", [], "fast" as never), {
      name: "TypeError",
      message:
        `Cannot run task 'add' as 'options' must be an object: current value is "fast"`,
    });
    // null reads as no options, as Web IDL reads a dictionary.
    assert.equal(await p.run("add", [2, 2], null as never), 4);
    await assert.rejects(p.map("add", [[1, 1]], 5 as never), {
      name: "TypeError",
      message:
        "Cannot map task 'add' as 'options' must be an object: current value is 5",
    });
    assert.equal(await p.run("add", [1, 1]), 2);
    await assert.rejects(p.run("missing"), {
      name: "TypeError",
      message:
        "Cannot run task 'missing' as the task module does not export a function of that name",
    });
    await assert.rejects(p.run("notAFunction"), TypeError);
    assert.equal(await p.run("add", [1, 2]), 3);
    const [bad, good] = await Promise.allSettled([
      p.run("identity", [() => 1]),
      p.run("identity", ["fine"]),
    ]);
    assert.equal(bad.status, "rejected");
    assert.ok(bad.reason instanceof DOMException);
    assert.equal(bad.reason.name, "DataCloneError");
    assert.match(
      bad.reason.message,
      /^Cannot run task 'identity' as its arguments cannot be sent to a worker: /,
    );
    assert.deepEqual(good, { status: "fulfilled", value: "fine" });
    await assert.rejects(p.run("uncloneableResult"), (error) => {
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "DataCloneError");
      assert.match(error.message, /^Cannot send the result of the task: ./);
      return true;
    });
    assert.equal(await p.run("add", [1, 2]), 3);
    assert.equal(p.stats.crashed, 0);
    const buffer = new ArrayBuffer(64);
    assert.equal(
      await p.run("byteLength", [buffer], { transfer: [buffer] }),
      64,
    );
    assert.equal(buffer.byteLength, 0);
    const copied = new ArrayBuffer(8);
    assert.equal(await p.run("byteLength", [copied]), 8);
    assert.equal(copied.byteLength, 8);
    await assert.rejects(p.run("toString"), TypeError);
  });
});

describe("ThreadPool task errors", () => {
  test("an error holding what cannot be cloned keeps the rest", async () => {
    await using p = pool({ threads: 1 });
    const error: Error & { code?: string; handle?: unknown } = await p.run(
      "failOddly",
      ["handle"],
    ).then(() => assert.fail("should reject"), (e) => e);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "Error");
    assert.equal(error.message, "holds a handle");
    assert.equal(error.code, "E_HANDLE");
    assert.equal("handle" in error, false);
    assert.equal(error.cause, undefined);
    assert.match(String(error.stack), /failOddly/);
  });

  test("an AggregateError keeps its class and its errors", async () => {
    await using p = pool({ threads: 1 });
    const error = await p.run("failOddly", ["aggregate"]).then(
      () => assert.fail("should reject"),
      (e) => e,
    );
    assert.ok(error instanceof AggregateError);
    assert.equal(error.message, "both failed");
    assert.ok(error.errors[0] instanceof RangeError);
    assert.equal(error.errors[0].message, "one");
    assert.equal(error.errors[1], "two");
  });

  test("an error with looping, very deep, shared or unreadable causes rejects its task; the worker lives on", async () => {
    await using p = pool();
    const cycle: Error = await p.run("failTangled", ["cycle"]).then(
      () => assert.fail("fulfilled"),
      (error) => error,
    );
    assert.equal(cycle.message, "a");
    assert.equal((cycle.cause as Error).message, "b");
    assert.equal((cycle.cause as Error).cause, undefined, "the loop is cut");
    const deep: Error = await p.run("failTangled", ["deep", 6000]).then(
      () => assert.fail("fulfilled"),
      (error) => error,
    );
    assert.equal(deep.message, "6000");
    let depth = 0;
    for (let e: unknown = deep; e instanceof Error; e = e.cause) depth++;
    assert.equal(depth, 33, "causes are kept 32 deep");
    await assert.rejects(p.run("failTangled", ["unreadable"]), {
      name: "Error",
      message: "",
    });
    const shared: AggregateError = await p.run("failTangled", ["shared", 24])
      .then(() => assert.fail("fulfilled"), (error) => error);
    assert.equal(shared.message, "24");
    assert.equal(shared.errors[0], shared.errors[1], "still one error");
    assert.equal(p.stats.crashed, 0);
    assert.equal(p.stats.failed, 4);
  });

  test("a task's own postMessage calls are ignored", async () => {
    await using p = pool();
    assert.equal(await p.run("chatty"), 42);
    assert.equal(await p.run("add", [1, 2]), 3);
    assert.equal(p.stats.crashed, 0);
  });

  test("a task's error keeps its name, message, stack, cause and properties; the worker lives on", async () => {
    await using p = pool();
    const before = await p.run("workerId");
    const custom: Error & { code?: string } = await p.run("fail", [
      "custom",
      "bad input",
    ]).then(() => assert.fail("fulfilled"), (error) => error);
    assert.ok(custom instanceof Error);
    assert.equal(custom.name, "CustomError");
    assert.equal(custom.message, "bad input");
    assert.equal(custom.code, "E_CUSTOM");
    assert.match(String(custom.stack), /pool_tasks\.ts/);

    await assert.rejects(p.run("fail", ["range", "r"]), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, "r");
      return true;
    });
    await assert.rejects(p.run("fail", ["plain", "p"]), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(error.cause instanceof TypeError);
      assert.equal(error.cause.message, "inner");
      return true;
    });
    await assert.rejects(p.run("fail", ["string", "just a string"]), (e) => {
      assert.equal(e, "just a string");
      return true;
    });
    await assert.rejects(p.run("failLater", ["async"]), {
      name: "TypeError",
      message: "async",
    });
    assert.equal(await p.run("workerId"), before);
    assert.equal(p.stats.failed, 5);
    assert.equal(p.stats.crashed, 0);
  });
});

describe("ThreadPool crash safety", () => {
  test("a worker dying outside a task rejects its task with WorkerCrashedError; queued tasks go on", async () => {
    await using p = pool();
    const before = await p.run("workerId");
    const crash = p.run("crashLater");
    const queued = Array.from({ length: 20 }, (_, i) => p.run("add", [i, 1]));
    await assert.rejects(crash, (error: unknown) => {
      assert.ok(error instanceof WorkerCrashedError);
      assert.match(error.message, /died while running task 'crashLater'/);
      assert.ok(error.cause instanceof Error);
      assert.equal(error.cause.message, "crashed outside the task");
      return true;
    });
    assert.deepEqual(
      await Promise.all(queued),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.notEqual(await p.run("workerId"), before);

    await assert.rejects(p.run("rejectUnhandled"), (error: unknown) => {
      assert.ok(error instanceof WorkerCrashedError);
      assert.match(String(error.cause), /nobody handles this/);
      return true;
    });
    for (const how of ["close", "deno", "process"]) {
      await assert.rejects(p.run("exitWorker", [how]), (error: unknown) => {
        assert.ok(error instanceof WorkerCrashedError, how);
        assert.ok(error.cause instanceof Error);
        assert.match(error.cause.message, /^Worker (called|exited)/);
        return true;
      });
    }
    assert.equal(await p.run("add", [1, 2]), 3);
    assert.equal(p.stats.crashed, 5);
    assert.equal(p.stats.failed, 5);
  });

  test("a module that fails to load rejects every task, without respawning", async () => {
    await using p = new ThreadPool(BAD_MODULE, { threads: 1 });
    const results = await Promise.allSettled([p.run("a"), p.run("b")]);
    for (const result of results) {
      assert.equal(result.status, "rejected");
      assert.match(
        String(result.reason.message),
        /task module 'file:.*pool_bad_module\.ts' of thread pool 'ThreadPool' failed to load: this module refuses to load$/,
      );
      assert.equal(result.reason.cause.message, "this module refuses to load");
    }
    await assert.rejects(p.run("c"), /failed to load/);
    assert.equal(p.stats.threads, 0);
  });

  test("a module that does not exist rejects with a clear error", async () => {
    await using p = new ThreadPool(new URL("./fixtures/nope.ts", TASKS), {
      threads: 1,
    });
    await assert.rejects(
      p.run("a"),
      /nope\.ts' of thread pool .* failed to load/,
    );
  });

  test("workers that keep dying before any task starts stop being respawned", async () => {
    await using p = new ThreadPool(DIES_AT_START, { threads: 1 });
    await assert.rejects(p.run("identity", [1]), (error: unknown) => {
      assert.ok(error instanceof WorkerCrashedError);
      assert.match(
        error.message,
        /3 workers .* in a row died before starting any task/,
      );
      return true;
    });
    assert.equal(p.stats.crashed, 3);
    assert.equal(p.stats.threads, 0);
  });
});

describe("ThreadPool abort and timeout", () => {
  test("an already aborted signal rejects at once and runs nothing", async () => {
    await using p = pool();
    const signal = AbortSignal.abort();
    await assert.rejects(p.run("add", [1, 2], { signal }), {
      name: "AbortError",
    });
    assert.equal(p.stats.threads, 0);
  });

  test("a queued task aborted is removed, the worker is kept, and a late abort changes nothing", async () => {
    await using p = pool();
    const gate = new Gate();
    const held = p.run("hold", [gate.buffer, "held"]);
    await gate.started();
    const controller = new AbortController();
    const queued = p.run("add", [1, 2], { signal: controller.signal });
    const after = p.run("add", [2, 2]);
    assert.equal(p.stats.queued, 2);
    controller.abort();
    await assert.rejects(queued, { name: "AbortError" });
    assert.equal(p.stats.queued, 1);
    gate.release();
    assert.equal(await held, "held");
    assert.equal(await after, 4);
    assert.equal(p.stats.crashed, 0);
    assert.equal(p.stats.threads, 1);
    const late = new AbortController();
    assert.equal(
      await p.run("add", [1, 2], { signal: late.signal }),
      3,
    );
    late.abort();
    assert.equal(p.stats.completed, 3);
    assert.equal(p.stats.failed, 1);
  });

  test("a running task aborted rejects with the reason and its worker is replaced", async () => {
    await using p = pool();
    const before = await p.run("workerId");
    const gate = new Gate();
    const controller = new AbortController();
    const running = p.run("hang", [gate.buffer], {
      signal: controller.signal,
    });
    const queued = p.run("add", [3, 4]);
    await gate.started();
    assert.equal(p.stats.running, 1);
    const reason = new Error("stop it");
    controller.abort(reason);
    await assert.rejects(running, (error) => error === reason);
    assert.equal(await queued, 7);
    assert.notEqual(await p.run("workerId"), before);
    assert.equal(p.stats.crashed, 0);
  });

  test("timeoutMs rejects a running task with TimeoutError and replaces its worker", async () => {
    await using p = pool();
    await assert.rejects(p.run("forever", [], { timeoutMs: 30 }), {
      name: "TimeoutError",
      message: "Task 'forever' timed out after 30 ms",
    });
    assert.equal(await p.run("add", [1, 2]), 3);
  });

  test("taskTimeoutMs applies to every task, and a queued task times out in the queue", async () => {
    await using p = pool({ taskTimeoutMs: 40 });
    const gate = new Gate();
    const held = p.run("hold", [gate.buffer, 1], { timeoutMs: 10_000 });
    await gate.started();
    const queued = p.run("add", [1, 2]);
    await assert.rejects(queued, { name: "TimeoutError" });
    gate.release();
    assert.equal(await held, 1);
  });
});

describe("ThreadPool limits and lifecycle", () => {
  test("maxQueue: past it run rejects with RangeError", async () => {
    const p = pool({ maxQueue: 1 });
    try {
      const gate = new Gate();
      const running = p.run("hang", [gate.buffer]);
      await gate.started();
      const queued = p.run("add", [1, 1]);
      await assert.rejects(p.run("add", [2, 2]), {
        name: "RangeError",
        message:
          "Cannot run task 'add' as the queue of thread pool 'ThreadPool' is full: maxQueue is 1",
      });
      await p.terminate();
      await assert.rejects(running, PoolClosedError);
      await assert.rejects(queued, PoolClosedError);
    } finally {
      await p.terminate();
    }
  });

  test("maxQueue: map refuses a batch that does not fit, whole", async () => {
    const p = pool({ threads: 1, maxQueue: 2 });
    try {
      const gate = new Gate();
      const running = p.run("hang", [gate.buffer]);
      await gate.started();
      await assert.rejects(p.map("add", [[1, 1], [2, 2], [3, 3]]), {
        name: "RangeError",
        message:
          /^Cannot map task 'add' as the queue of thread pool .* is full/,
      });
      assert.equal(p.stats.queued, 0, "no task of the refused batch queued");
      const fits = p.map("add", [[1, 1], [2, 2]]);
      assert.equal(p.stats.queued, 2);
      await p.terminate();
      await assert.rejects(fits, PoolClosedError);
      await assert.rejects(running, PoolClosedError);
    } finally {
      await p.terminate();
    }
  });

  test("maxQueue: a map batch may fill the free threads and the queue, not one more", async () => {
    await using p = pool({ threads: 1, maxQueue: 2 });
    await assert.rejects(p.map("add", [[1, 1], [2, 2], [3, 3], [4, 4]]), {
      name: "RangeError",
      message:
        "Cannot map task 'add' as the queue of thread pool 'ThreadPool' is full: maxQueue is 2",
    });
    assert.equal(p.stats.queued, 0);
    assert.deepEqual(await p.map("add", [[1, 1], [2, 2], [3, 3]]), [2, 4, 6]);
  });

  test("stats count queued and running tasks", async () => {
    await using p = pool();
    const gate = new Gate();
    const held = p.run("hold", [gate.buffer, 0]);
    const queued = [p.run("add", [1, 1]), p.run("add", [2, 2])];
    await gate.started();
    assert.deepEqual(
      counters(p.stats),
      {
        threads: 1,
        idle: 0,
        queued: 2,
        running: 1,
        completed: 0,
        failed: 0,
        crashed: 0,
      },
    );
    gate.release();
    await Promise.all([held, ...queued]);
    assert.equal(p.stats.completed, 3);
    assert.equal(p.stats.idle, 1);
  });

  test("close lets queued tasks finish, then refuses new ones", async () => {
    const p = pool();
    const pending = Array.from({ length: 10 }, (_, i) => p.run("add", [i, 0]));
    const closing = p.close();
    assert.equal(p.close(), closing);
    await assert.rejects(p.run("add", [1, 1]), {
      name: "PoolClosedError",
      message: "Cannot run task 'add' as thread pool 'ThreadPool' is closed",
    });
    await closing;
    assert.deepEqual(await Promise.all(pending), [...Array(10).keys()]);
    assert.equal(p.stats.threads, 0);
  });

  test("close waits for a running task", async () => {
    const p = pool();
    const gate = new Gate();
    const held = p.run("hold", [gate.buffer, "ok"]);
    await gate.started();
    let closed = false;
    const closing = p.close().then(() => closed = true);
    await Promise.resolve();
    assert.equal(closed, false);
    gate.release();
    await closing;
    assert.equal(await held, "ok");
  });

  test("terminate rejects every unsettled task with PoolClosedError", async () => {
    const p = pool();
    const gate = new Gate();
    const running = p.run("hang", [gate.buffer]);
    const queued = p.run("add", [1, 1]);
    await gate.started();
    await p.terminate();
    await assert.rejects(running, PoolClosedError);
    await assert.rejects(queued, PoolClosedError);
    assert.equal(p.stats.threads, 0);
    await p.terminate();
    await p.close();
  });

  test("asyncDispose closes the pool", async () => {
    let outside: ThreadPool;
    {
      await using p = pool();
      outside = p;
      assert.equal(await p.run("add", [1, 1]), 2);
    }
    await assert.rejects(outside.run("add", [1, 1]), PoolClosedError);
  });

  test("idle workers exit after idleTimeoutMs and come back on demand", async () => {
    await using p = pool({ idleTimeoutMs: 20 });
    const first = await p.run("workerId");
    await until(() => p.stats.threads === 0);
    assert.notEqual(await p.run("workerId"), first);
  });

  test("a worker kept busy outlives one left idle: the longest idle goes first", async () => {
    await using p = pool({ threads: 2, idleTimeoutMs: 60 });
    await Promise.all([p.run("spin", [20]), p.run("spin", [20])]);
    assert.equal(p.stats.threads, 2);
    const { promise: exited, resolve } = Promise.withResolvers<void>();
    p.addEventListener("workerexit", () => resolve(), { once: true });
    let gone = false;
    void exited.then(() => gone = true);
    // One task at a time takes the worker that went idle last, over and
    // over, for longer than the timeout; the other stays idle and leaves.
    const served = new Set<number>();
    const giveUp = performance.now() + 5000;
    while (!gone && performance.now() < giveUp) {
      served.add(await p.run("workerId"));
    }
    assert.ok(gone, "the idle worker never left");
    assert.equal(served.size, 1, "every task ran on the same worker");
    assert.equal(p.stats.threads, 1);
    assert.ok(served.has(await p.run("workerId")), "the busy one stayed");
  });

  test("closes with no task and no worker", async () => {
    const p = pool();
    await p.close();
    assert.equal(p.stats.threads, 0);
  });
});
