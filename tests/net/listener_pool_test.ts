// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { Socket } from "node:net";
import {
  type Addr,
  ListenerPool,
  type ListenerPoolOptions,
  NetListener,
} from "../../src/listener.ts";
import { WorkerCrashedError } from "../../src/errors.ts";
import {
  closed,
  connected,
  connectTo,
  echo,
  exchange,
  ipv6Loopback,
  socketDir,
} from "../_net.ts";
import { certificate, tlsEcho } from "../_tls.ts";

const ipv6 = await ipv6Loopback();
if (!ipv6) console.log("IPv6 loopback unavailable: IPv6 tests skipped");
const isBun = "Bun" in globalThis;

const ECHO = new URL("../fixtures/listener_pool_echo.ts", import.meta.url);
// For the tests that start processes or many connections: Bun's default
// of 5 s is short for them on a machine shared by many test runs.
const SLOW = { timeout: 30_000 };
const CHILD = fileURLToPath(
  new URL("../fixtures/listener_pool_child.ts", import.meta.url),
);

function tcpPort(addr: Addr | undefined): number {
  assert.equal(addr?.transport, "tcp");
  return addr.port;
}

/** A pool of the echo fixture whose errors are collected, not printed. */
function echoPool(
  options: ListenerPoolOptions = {},
): { pool: ListenerPool; errors: unknown[]; nextError(): Promise<unknown> } {
  const errors: unknown[] = [];
  let wake: (() => void) | undefined;
  const pool = new ListenerPool(ECHO, {
    threads: 2,
    onError: (error) => {
      errors.push(error);
      wake?.();
    },
    ...options,
  });
  let taken = 0;
  return {
    pool,
    errors,
    async nextError() {
      while (errors.length <= taken) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      return errors[taken++];
    },
  };
}

/** A connected client that sends a chunk and awaits the reply. */
class Client {
  readonly socket: Socket;
  #replies: string[] = [];
  #waiting: ((reply: string) => void) | undefined;

  constructor(addr: Addr | undefined) {
    this.socket = connectTo(addr);
    this.socket.setEncoding("utf8");
    this.socket.on("data", (chunk: string) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (waiting) waiting(chunk);
      else this.#replies.push(chunk);
    });
    this.socket.on("error", () => {});
  }

  ask(text: string): Promise<string> {
    const reply = this.#replies.shift();
    this.socket.write(text);
    if (reply !== undefined) return Promise.resolve(reply);
    return new Promise((resolve) => this.#waiting = resolve);
  }
}

/** Asks a new connection which worker serves it. */
async function whoServes(addr: Addr | undefined): Promise<string> {
  const client = new Client(addr);
  const id = await client.ask("who");
  client.socket.end();
  await closed(client.socket);
  return id;
}

/**
 * Waits until `condition` holds: the pool's counters are published by its
 * workers every few milliseconds, with no event to await.
 */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs the child fixture in this runtime; resolves with its output. */
function runChild(
  mode: string,
  denoFlags: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = isBun
    ? [CHILD, mode]
    : ["run", "-A", "--no-check", ...denoFlags, CHILD, mode];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error
          ? (typeof error.code === "number" ? error.code : -1)
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("ListenerPool", () => {
  test("validates the constructor's arguments", () => {
    const threads =
      "Cannot create listener pool as 'threads' must be a positive integer";
    assert.throws(() => new ListenerPool(ECHO, { threads: 0 }), {
      name: "RangeError",
      message: `${threads}: current value is 0`,
    });
    assert.throws(() => new ListenerPool(ECHO, { threads: 1.5 }), {
      name: "RangeError",
      message: `${threads}: current value is 1.5`,
    });
    assert.throws(() => new ListenerPool(ECHO, { threads: NaN }), RangeError);
    assert.throws(
      () => new ListenerPool(ECHO, { threads: "2" as unknown as number }),
      { name: "TypeError", message: `${threads}: current value is "2"` },
    );
    assert.throws(
      () => new ListenerPool(42 as unknown as string),
      {
        name: "TypeError",
        message:
          "Cannot create listener pool as 'module' must be a URL, an absolute path or a path relative to the working directory: current value is 42",
      },
    );
    assert.throws(
      () => new ListenerPool(ECHO, "x" as unknown as ListenerPoolOptions),
      {
        name: "TypeError",
        message:
          `Cannot create listener pool as 'options' must be an object: current value is "x"`,
      },
    );
    assert.throws(
      () => new ListenerPool(ECHO, { name: 1 as unknown as string }),
      {
        name: "TypeError",
        message:
          "Cannot create listener pool as 'name' must be a string: current value is 1",
      },
    );
    assert.throws(
      () =>
        new ListenerPool(ECHO, {
          onError: "log" as unknown as () => void,
        }),
      {
        name: "TypeError",
        message:
          `Cannot create listener pool as 'onError' must be a function: current value is "log"`,
      },
    );
    // The workers' listener options are checked by NetListener itself.
    assert.throws(
      () => new ListenerPool(ECHO, { maxConnections: 0 }),
      {
        name: "RangeError",
        message:
          "Cannot create listener as 'maxConnections' must be a positive integer or Infinity: current value is 0",
      },
    );
    assert.throws(
      () =>
        new ListenerPool(ECHO, {
          onReject: () => {},
        } as unknown as ListenerPoolOptions),
      {
        name: "TypeError",
        message:
          "Cannot create listener pool as 'onReject' must be sent to the workers, which a function cannot: export it in the handler module's 'listenerOptions' instead",
      },
    );
    assert.throws(
      () =>
        new ListenerPool(ECHO, {
          extra: Symbol("x"),
        } as unknown as ListenerPoolOptions),
      (error: Error) =>
        error instanceof TypeError &&
        error.message.startsWith(
          "Cannot create listener pool as its listener options must be structured-cloneable",
        ),
    );
  });

  test(
    "serves on two threads; the connections spread across both",
    SLOW,
    async () => {
      const { pool, errors } = echoPool();
      await using _ = pool;
      const addrs = await pool.open("127.0.0.1:0");
      assert.equal(addrs.length, 1);
      assert.ok(tcpPort(addrs[0]) > 0);
      assert.deepEqual(pool.addrs, addrs);
      const count = 200;
      const served = new Map<string, number>();
      for (let i = 0; i < count; i += 20) {
        const ids = await Promise.all(
          Array.from({ length: 20 }, () => whoServes(addrs[0])),
        );
        for (const id of ids) served.set(id, (served.get(id) ?? 0) + 1);
      }
      assert.equal(served.size, 2, "both workers served");
      for (const share of served.values()) {
        assert.ok(share >= count / 10, `each worker's share: ${[...served]}`);
      }
      await until(
        () => pool.stats.accepted === count && pool.stats.active === 0,
        "the counters",
      );
      const stats = pool.stats;
      assert.deepEqual(
        { ...stats, perThread: undefined },
        {
          accepted: count,
          rejected: 0,
          active: 0,
          errors: 0,
          perThread: undefined,
        },
      );
      assert.equal(stats.perThread.length, 2);
      assert.equal(stats.perThread[0]! + stats.perThread[1]!, count);
      assert.deepEqual(
        [...served.values()].sort(),
        [...stats.perThread].sort(),
      );
      assert.deepEqual(errors, []);
    },
  );

  test("listens on every address given, port 0 included, on every worker", async () => {
    const { pool } = echoPool();
    await using _ = pool;
    const given = ["127.0.0.1:0", ...(ipv6 ? ["[::1]:0"] : [])];
    const addrs = await pool.open(given);
    assert.equal(addrs.length, given.length);
    for (const addr of addrs) {
      assert.ok(tcpPort(addr) > 0);
      const ids = new Set<string>();
      // Both workers listen there: within a few dozen connections the
      // kernel hands some to each.
      for (let i = 0; i < 60 && ids.size < 2; i++) {
        ids.add(await whoServes(addr));
      }
      assert.equal(ids.size, 2, `both workers on ${JSON.stringify(addr)}`);
      assert.equal(String(await echo(addr, "hello")), "hello");
    }
  });

  test("a hostname listens on every address it resolves to", async () => {
    const { pool } = echoPool({ threads: 1 });
    await using _ = pool;
    const addrs = await pool.open({ hostname: "localhost", port: 0 });
    assert.ok(addrs.length >= 1);
    const port = tcpPort(addrs[0]);
    for (const addr of addrs) {
      assert.equal(tcpPort(addr), port);
      assert.equal(String(await echo(addr, "hi")), "hi");
    }
  });

  test("open() checks its addresses and the pool's state", async () => {
    const { pool } = echoPool({ threads: 1 });
    await using _ = pool;
    const unix =
      "Cannot open listener pool as an address must be a TCP address (workers cannot share a Unix socket): current value is";
    await assert.rejects(pool.open("unix:/tmp/iox-pool.sock"), {
      name: "TypeError",
      message: `${unix} "unix:/tmp/iox-pool.sock"`,
    });
    await assert.rejects(
      pool.open(["127.0.0.1:0", { transport: "unix", path: "/tmp/x.sock" }]),
      {
        name: "TypeError",
        message: `${unix} {"transport":"unix","path":"/tmp/x.sock"}`,
      },
    );
    await assert.rejects(pool.open([]), {
      name: "TypeError",
      message: "Cannot open listener pool as the address list is empty",
    });
    // Checked by the first worker's NetListener, its class kept.
    await assert.rejects(pool.open("127.0.0.1:70000"), {
      name: "RangeError",
      message:
        "Cannot open listener on '127.0.0.1:70000' as 'port' must be an integer in 0..65535: current value is 70000",
    });
    // All-or-nothing: the second address fails, the first is let go.
    // A port bound without SO_REUSEPORT cannot be joined.
    await using plain = new NetListener();
    const [plainAddr] = await plain.open("127.0.0.1:0");
    await assert.rejects(
      pool.open(["127.0.0.1:0", `127.0.0.1:${tcpPort(plainAddr)}`]),
      (error: Error) =>
        error.message.startsWith(
          `Cannot open listener on '127.0.0.1:${tcpPort(plainAddr)}'`,
        ),
    );
    assert.deepEqual(pool.addrs, []);
    const [again] = await pool.open("127.0.0.1:0");
    await assert.rejects(pool.open("127.0.0.1:0"), {
      name: "Error",
      message:
        "Cannot open listener pool 'listener-pool' as it is already listening: give every address to one open() call, or disconnect() first",
    });
    assert.equal(String(await echo(again, "still")), "still");
    await pool.close();
    await assert.rejects(pool.open("127.0.0.1:0"), {
      name: "Error",
      message: "Cannot open listener pool 'listener-pool' as it is closed",
    });
  });

  test("a module without a default export function, or one that fails to load, rejects open() naming it", async () => {
    const noDefault = new URL("../fixtures/pool_tasks.ts", import.meta.url);
    await using a = new ListenerPool(noDefault, { threads: 2 });
    await assert.rejects(a.open("127.0.0.1:0"), {
      name: "TypeError",
      message:
        `Cannot open listener pool as module '${noDefault.href}' must have a default export that is a function: current value is undefined`,
    });
    const bad = new URL("../fixtures/pool_bad_module.ts", import.meta.url);
    await using b = new ListenerPool(bad, { threads: 2 });
    await assert.rejects(
      b.open("127.0.0.1:0"),
      (error: Error) =>
        error.message ===
          `Cannot open listener pool as module '${bad.href}' failed to load: this module refuses to load` &&
        (error.cause as Error).message === "this module refuses to load",
    );
    const missing = new URL("../fixtures/no_such_module.ts", import.meta.url);
    await using c = new ListenerPool(missing, { threads: 1 });
    await assert.rejects(
      c.open("127.0.0.1:0"),
      (error: Error) =>
        error.message.startsWith(
          `Cannot open listener pool as module '${missing.href}' failed to load: `,
        ),
    );
  });

  test(
    "a failed open leaves nothing running: the process ends by itself",
    SLOW,
    async () => {
      const { code, stdout } = await runChild("bad-modules");
      assert.equal(code, 0);
      const lines = stdout.trim().split("\n");
      assert.equal(lines.length, 3);
      assert.match(
        lines[0]!,
        /^rejected Error: .*pool_bad_module\.ts' failed to load/,
      );
      assert.match(
        lines[1]!,
        /^rejected TypeError: .*pool_tasks\.ts' must have a default export/,
      );
      assert.match(lines[2]!, /^rejected Error: .*missing\.ts' failed to load/);
    },
  );

  for (const mode of ["close", "shutdown", "dispose"]) {
    test(
      `after ${mode}, no worker is left (its handler's ThreadPool included): the process ends`,
      SLOW,
      async () => {
        const { code, stdout } = await runChild(mode);
        assert.equal(code, 0);
        // The handler added in its own ThreadPool and in a Task's thread.
        assert.deepEqual(stdout.trim().split("\n"), ["40 21", "ended"]);
      },
    );
  }

  test("serves TLS on every worker, plain TCP beside it", SLOW, async () => {
    const { cert, key } = certificate();
    const { pool } = echoPool();
    await using _ = pool;
    const [secure, plain] = await pool.open([
      { hostname: "127.0.0.1", port: 0, tls: { cert, key } },
      "127.0.0.1:0",
    ]);
    assert.ok(tcpPort(secure) > 0);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => tlsEcho(secure, `secret ${i}`)),
    );
    assert.deepEqual(
      replies.map(String),
      Array.from({ length: 40 }, (_, i) => `secret ${i}`),
    );
    assert.equal(String(await echo(plain, "plain")), "plain");
    // Both workers took TLS connections on the shared port.
    await until(() => pool.stats.accepted === 41, "the counters");
    assert.ok(pool.stats.perThread.every((count) => count > 0));
  });

  test("idleTimeoutMs reaches every worker's listener", async () => {
    const { pool } = echoPool({ idleTimeoutMs: 200 });
    await using _ = pool;
    const [addr] = await pool.open("127.0.0.1:0");
    const idle = new Client(addr);
    assert.equal(await idle.ask("hi"), "hi");
    // Nothing more is sent: the server closes the connection.
    await closed(idle.socket);
    assert.throws(
      () => new ListenerPool(ECHO, { idleTimeoutMs: 0 }),
      RangeError,
    );
  });

  test("proxyProtocol reaches every worker's listener", async () => {
    const { pool } = echoPool({ proxyProtocol: true });
    await using _ = pool;
    const [addr] = await pool.open("127.0.0.1:0");
    for (let i = 0; i < 4; i++) {
      const client = new Client(addr);
      const header = `PROXY TCP4 192.0.2.${i + 1} 127.0.0.1 5555 80\r\n`;
      const reply = JSON.parse(await client.ask(`${header}addrs`));
      assert.deepEqual(reply.remote, {
        transport: "tcp",
        hostname: `192.0.2.${i + 1}`,
        port: 5555,
      });
      client.socket.end();
      await closed(client.socket);
    }
    // A connection without the header is rejected.
    const { data } = await exchange(addr, "no header here\r\n");
    assert.equal(data.length, 0);
    await until(() => pool.stats.rejected === 1, "the rejection");
  });

  test("the handler gets a full Connection", async () => {
    const { pool } = echoPool({ threads: 1 });
    await using _ = pool;
    const [addr] = await pool.open("127.0.0.1:0");
    const client = new Client(addr);
    await connected(client.socket);
    assert.deepEqual(JSON.parse(await client.ask("addrs")), {
      local: { transport: "tcp", hostname: "127.0.0.1", port: tcpPort(addr) },
      remote: {
        transport: "tcp",
        hostname: "127.0.0.1",
        port: client.socket.localPort,
      },
    });
    client.socket.end();
    await closed(client.socket);
    const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
    const back = await echo(addr, big);
    assert.equal(back.length, big.length);
    assert.ok(back.equals(big));
  });

  test("a handler's error goes to onError, class and message kept, and is counted", async () => {
    const { pool, nextError } = echoPool({ threads: 1 });
    await using _ = pool;
    const [addr] = await pool.open("127.0.0.1:0");
    const { data } = await exchange(addr, "throw");
    assert.equal(data.length, 0);
    const error = await nextError();
    assert.ok(error instanceof RangeError);
    assert.equal(error.message, "handler failed");
    await until(() => pool.stats.errors === 1, "the error count");
    assert.equal(String(await echo(addr, "next")), "next");
  });

  test("maxConnections applies in each worker", async () => {
    const { pool } = echoPool({ threads: 1, maxConnections: 1 });
    await using _ = pool;
    const [addr] = await pool.open("127.0.0.1:0");
    const held = new Client(addr);
    assert.equal(await held.ask("a"), "a");
    const { data } = await exchange(addr, "b");
    assert.equal(data.length, 0);
    await until(() => pool.stats.rejected === 1, "the rejection");
    assert.equal(pool.stats.active, 1);
    assert.equal(await held.ask("c"), "c");
    held.socket.end();
    await closed(held.socket);
  });

  test("the module's listenerOptions export reaches each worker's listener", async () => {
    const limited = new URL(
      "../fixtures/listener_pool_limited.ts",
      import.meta.url,
    );
    const errors: unknown[] = [];
    await using pool = new ListenerPool(limited, {
      threads: 1,
      onError: (error) => errors.push(error),
    });
    const [addr] = await pool.open("127.0.0.1:0");
    const held = new Client(addr);
    assert.equal(await held.ask("a"), "a");
    const { data } = await exchange(addr, "b");
    assert.equal(String(data), "busy");
    await until(() => pool.stats.rejected === 1, "the rejection");
    // The pool's onError wins over the module's.
    held.socket.write("throw");
    await closed(held.socket);
    await until(() => errors.length === 1, "the handler's error");
    assert.equal((errors[0] as Error).message, "handler failed");
    const bad = new URL(
      "../fixtures/listener_pool_bad_options.ts",
      import.meta.url,
    );
    await using badPool = new ListenerPool(bad, { threads: 1 });
    await assert.rejects(badPool.open("127.0.0.1:0"), {
      name: "TypeError",
      message:
        `Cannot open listener pool as the 'listenerOptions' export of module '${bad.href}' must be an object: current value is 42`,
    });
  });

  for (const how of ["die", "exit"]) {
    test(
      `a worker that ends (${how}) is replaced; its connections close, the others go on`,
      SLOW,
      async () => {
        const { pool, nextError } = echoPool();
        await using _ = pool;
        const [addr] = await pool.open("127.0.0.1:0");
        // One held connection on each worker.
        const clients = new Map<string, Client>();
        for (let i = 0; i < 100 && clients.size < 2; i++) {
          const client = new Client(addr);
          const id = await client.ask("who");
          if (clients.has(id)) client.socket.destroy();
          else clients.set(id, client);
        }
        assert.equal(clients.size, 2);
        const [[victimId, victim], [survivorId, survivor]] = [...clients] as [
          [string, Client],
          [string, Client],
        ];
        const victimClosed = closed(victim.socket);
        victim.socket.write(how);
        await victimClosed;
        const error = await nextError();
        assert.ok(error instanceof WorkerCrashedError);
        assert.match(
          error.message,
          /^Worker 'listener-pool #[12]' of the listener pool died: /,
        );
        assert.equal(await survivor.ask("who"), survivorId);
        assert.equal(await survivor.ask("still here"), "still here");
        // The replacement joins the port once it has started: from then on
        // new connections reach it.
        const ids = new Set<string>();
        const deadline = Date.now() + 10_000;
        while (ids.size < 2 && Date.now() < deadline) {
          ids.add(await whoServes(addr));
          if (ids.has(victimId)) break;
        }
        assert.equal(ids.size, 2);
        assert.ok(ids.has(survivorId));
        assert.ok(!ids.has(victimId));
        survivor.socket.end();
        await closed(survivor.socket);
      },
    );
  }

  test("disconnect() stops listening, lets connections finish, and open() listens again", async () => {
    const { pool } = echoPool();
    await using _ = pool;
    const [addr] = await pool.open("127.0.0.1:0");
    const held = new Client(addr);
    await connected(held.socket);
    assert.equal(await held.ask("before"), "before");
    await pool.disconnect();
    await pool.disconnect();
    assert.deepEqual(pool.addrs, []);
    const { error } = await exchange(addr, "refused");
    assert.equal(
      (error as { code?: string } | undefined)?.code,
      "ECONNREFUSED",
    );
    assert.equal(await held.ask("after"), "after");
    held.socket.end();
    await closed(held.socket);
    const [again] = await pool.open("127.0.0.1:0");
    assert.equal(String(await echo(again, "again")), "again");
  });

  test(
    "shutdown() waits for connections to finish, up to timeoutMs",
    SLOW,
    async () => {
      const { pool } = echoPool();
      const [addr] = await pool.open("127.0.0.1:0");
      // One finishes while shutdown waits: it gets its whole echo.
      const polite = new Client(addr);
      assert.equal(await polite.ask("first"), "first");
      // One never ends: timeoutMs closes it.
      const stubborn = new Client(addr);
      assert.equal(await stubborn.ask("x"), "x");
      const stubbornClosed = closed(stubborn.socket);
      let done = false;
      const shutdown = pool.shutdown({ timeoutMs: 2000 }).then(() =>
        done = true
      );
      assert.equal(await polite.ask("second"), "second");
      polite.socket.end();
      await closed(polite.socket);
      assert.equal(done, false);
      await stubbornClosed;
      await shutdown;
      assert.equal(pool.stats.active, 0);
      assert.equal(pool.stats.accepted, 2);
      const { error } = await exchange(addr, "late");
      assert.equal(
        (error as { code?: string } | undefined)?.code,
        "ECONNREFUSED",
      );
      await assert.rejects(pool.shutdown({ timeoutMs: -1 }), {
        name: "RangeError",
        message:
          "Cannot shut down listener pool as 'timeoutMs' must be a non-negative number of milliseconds: current value is -1",
      });
      await assert.rejects(
        pool.shutdown({ timeoutMs: "1" as unknown as number }),
        TypeError,
      );
    },
  );

  test(
    "shutdown() counts a worker that dies meanwhile as done: its connections closed with it",
    SLOW,
    async () => {
      const { pool, nextError } = echoPool({ threads: 1 });
      const [addr] = await pool.open("127.0.0.1:0");
      const client = new Client(addr);
      assert.equal(await client.ask("x"), "x");
      const clientClosed = closed(client.socket);
      // Infinity: only the worker's death can end the wait.
      const shutdown = pool.shutdown({ timeoutMs: Infinity });
      client.socket.write("die");
      assert.ok(await nextError() instanceof WorkerCrashedError);
      await clientClosed;
      await shutdown;
      assert.equal(pool.stats.active, 0);
      assert.equal(pool.stats.accepted, 1);
      // Shut down: the dead worker was not replaced.
      await assert.rejects(pool.open("127.0.0.1:0"), /is closed/);
    },
  );

  test("close() ends a shutdown() that waits", async () => {
    const { pool } = echoPool({ threads: 1 });
    const [addr] = await pool.open("127.0.0.1:0");
    const client = new Client(addr);
    assert.equal(await client.ask("x"), "x");
    const clientClosed = closed(client.socket);
    const shutdown = pool.shutdown({ timeoutMs: Infinity });
    // The connection goes on meanwhile.
    assert.equal(await client.ask("y"), "y");
    await pool.close();
    await clientClosed;
    await shutdown;
    assert.equal(pool.stats.active, 0);
  });

  test(
    "shutdown() ends a worker that cannot report CLOSE_DISCONNECT_MS after timeoutMs",
    SLOW,
    async () => {
      const { pool, errors } = echoPool({ threads: 1 });
      const [addr] = await pool.open("127.0.0.1:0");
      const client = new Client(addr);
      const clientClosed = closed(client.socket);
      const { dir, remove } = socketDir();
      const file = join(dir, "release");
      try {
        // Its worker answers, then does not return to its event loop.
        assert.equal(await client.ask(`block ${file}`), "blocked");
        await pool.shutdown({ timeoutMs: 0 });
        assert.equal(pool.stats.active, 0);
        assert.deepEqual(errors, []); // ended, not died
      } finally {
        // Frees the worker's thread, whatever happened: Bun's terminate()
        // closed the connection already, Deno's takes effect now.
        writeFileSync(file, "");
      }
      await clientClosed;
      remove();
    },
  );

  test("shutdown() of a pool that never listened closes it", async () => {
    const { pool } = echoPool();
    await pool.shutdown();
    await assert.rejects(pool.open("127.0.0.1:0"), /is closed/);
  });

  test("close() and await using end every connection at once", async () => {
    let addr: Addr | undefined;
    let client: Client;
    {
      await using pool = new ListenerPool(ECHO, { threads: 2 });
      [addr] = await pool.open("127.0.0.1:0");
      client = new Client(addr);
      assert.equal(await client.ask("x"), "x");
    }
    await closed(client.socket);
    const { error } = await exchange(addr, "late");
    assert.equal(
      (error as { code?: string } | undefined)?.code,
      "ECONNREFUSED",
    );
  });

  test(
    "without --unstable-net, Deno's open() rejects naming the flag instead of exiting",
    { ...SLOW, skip: isBun },
    async () => {
      // --no-config: the project's deno.json gives the flag.
      const { code, stdout } = await runChild("open", ["--no-config"]);
      assert.equal(code, 0);
      assert.equal(
        stdout.trim(),
        `rejected Error: Cannot open listener pool as Deno needs the --unstable-net flag to share a port between workers (reusePort): run with 'deno run --unstable-net', or add "unstable": ["net"] to deno.json`,
      );
      const flagged = await runChild("open", ["--no-config", "--unstable-net"]);
      assert.equal(flagged.code, 0);
      assert.match(flagged.stdout, /^ok \[\{"transport":"tcp"/);
    },
  );

  test("Bun needs no flag", { ...SLOW, skip: !isBun }, async () => {
    const { code, stdout } = await runChild("open");
    assert.equal(code, 0);
    assert.match(stdout, /^ok \[\{"transport":"tcp"/);
  });
});
