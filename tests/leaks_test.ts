// Copyright 2026 the iox authors. MIT license.
// Deno's leak sanitizers over the lifecycles users go through: after each
// test no timer, op, worker, socket or file may be left behind. Deno 2.9
// runs `node:test` tests without sanitizers, so these are `Deno.test`s with
// every sanitizer on. Deno's sanitizers do not track workers, so the pool
// tests also count the workers created and not yet terminated. Bun has no
// such sanitizers: there the file registers skipped tests (the listener
// tests count open file descriptors instead).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  Executor,
  ListenerPool,
  NetListener,
  SteadyTimer,
  Task,
  ThreadPool,
  WorkerCrashedError,
} from "../mod.ts";
import { echo, exchange, socketDir } from "./_net.ts";

const TASKS = new URL("./fixtures/pool_tasks.ts", import.meta.url);
const POOL_ECHO = new URL(
  "./fixtures/listener_pool_echo.ts",
  import.meta.url,
);

/** Workers created and not terminated, while a test runs. */
let liveWorkers = 0;

class CountedWorker extends Worker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    liveWorkers++;
  }
  override terminate(): void {
    liveWorkers--;
    super.terminate();
  }
}

function sanitized(name: string, fn: () => Promise<void>): void {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno?.test) {
    deno.test({
      name,
      sanitizeOps: true,
      sanitizeResources: true,
      sanitizeExit: true,
      async fn() {
        const original = globalThis.Worker;
        globalThis.Worker = CountedWorker;
        liveWorkers = 0;
        try {
          await fn();
        } finally {
          globalThis.Worker = original;
        }
        assert.equal(liveWorkers, 0, "every worker was terminated");
      },
    });
  } else {
    test(name, { skip: "Deno's leak sanitizers only" }, () => {});
  }
}

sanitized(
  "executor: timers, cancelled waits and tracked promises",
  async () => {
    const io = new Executor();
    const fired: string[] = [];
    new SteadyTimer(io, 1).asyncWait((error) =>
      fired.push(error?.name ?? "ok")
    );
    const cancelled = new SteadyTimer(io, 60_000);
    cancelled.asyncWait((error) => fired.push(error?.name ?? "ok"));
    io.track(Promise.resolve(1), () => cancelled.cancel());
    assert.equal(await io.run(), 3);
    assert.deepEqual(fired.sort(), ["AbortError", "ok"]);
  },
);

sanitized("pool: tasks, a crash, an abort, then close()", async () => {
  const pool = new ThreadPool(TASKS, { threads: 2 });
  assert.equal(await pool.run("add", [1, 2]), 3);
  await assert.rejects(pool.run("crashLater"), WorkerCrashedError);
  await assert.rejects(
    pool.run("forever", [], { signal: AbortSignal.timeout(20) }),
    { name: "TimeoutError" },
  );
  assert.deepEqual(await pool.map("identity", [[1], [2]]), [1, 2]);
  await pool.close();
});

sanitized("pool: terminate() with tasks running and queued", async () => {
  const pool = new ThreadPool(TASKS, { threads: 1 });
  const running = pool.run("forever");
  const queued = pool.run("add", [1, 1]);
  await pool.terminate();
  await assert.rejects(running, { name: "PoolClosedError" });
  await assert.rejects(queued, { name: "PoolClosedError" });
});

sanitized("pool: idle workers that time out", async () => {
  const pool = new ThreadPool(TASKS, { threads: 1, idleTimeoutMs: 5 });
  assert.equal(await pool.run("add", [2, 2]), 4);
  assert.equal(await pool.run("add", [3, 3]), 6);
  await pool.close();
});

sanitized(
  "pool: warm workers, a cancelled stream, a failing setup, then close()",
  async () => {
    const pool = new ThreadPool(TASKS, { threads: 2, minThreads: 2 });
    const reader = pool.stream("count", [1_000_000], { highWaterMark: 2 })
      .getReader();
    assert.deepEqual(await reader.read(), { value: 0, done: false });
    await reader.cancel();
    assert.deepEqual(await pool.map("identity", [[1], [2]]), [1, 2]);
    await pool.close();
    const failing = new ThreadPool(
      new URL("./fixtures/pool_setup.ts", import.meta.url),
      { threads: 1, minThreads: 1, workerData: { fail: "no" } },
    );
    await assert.rejects(failing.run("state"), WorkerCrashedError);
    await failing.close();
  },
);

sanitized("task: work in a thread, completion on an executor", async () => {
  await using pool = new ThreadPool(TASKS, { threads: 1 });
  const io = new Executor();
  let result: unknown;
  new Task<number>(null, (t) => (result = t.result), { executor: io })
    .runInThread(pool, "add", [4, 5]);
  assert.equal(await io.run(), 1);
  assert.equal(result, 9);
});

sanitized("listener: TCP and Unix, echo, disconnect", async () => {
  const { dir, remove } = socketDir();
  try {
    const listener = new NetListener();
    const addrs = await listener.open([
      "127.0.0.1:0",
      { transport: "unix", path: join(dir, "leak.sock") },
    ]);
    listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));
    for (const addr of addrs) {
      assert.equal((await echo(addr, "ping")).toString(), "ping");
    }
    await listener[Symbol.asyncDispose]();
  } finally {
    remove();
  }
});

sanitized(
  "listener pool: echo, a worker that dies and its replacement, a failed open, shutdown",
  async () => {
    const crashed = Promise.withResolvers<unknown>();
    const pool = new ListenerPool(POOL_ECHO, {
      threads: 2,
      onError: crashed.resolve,
    });
    const [addr] = await pool.open("127.0.0.1:0");
    assert.equal((await echo(addr, "ping")).toString(), "ping");
    // A worker killed by its handler; the connection closes with it, and a
    // replacement starts, which shutdown() must end too.
    const { data } = await exchange(addr, "die");
    assert.equal(data.length, 0);
    assert.ok(await crashed.promise instanceof WorkerCrashedError);
    await pool.shutdown({ timeoutMs: 1000 });
    const failing = new ListenerPool(TASKS, { threads: 2 });
    await assert.rejects(failing.open("127.0.0.1:0"), TypeError);
  },
);
