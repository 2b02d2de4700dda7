// Copyright 2026 the iox authors. MIT license.
// NetListener's production options: shutdown(), onReject, removeStaleSocket.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Connection,
  NetListener,
  SHUTDOWN_TIMEOUT_MS,
  type ShutdownOptions,
} from "../../src/listener.ts";
import {
  closed,
  connected,
  connectTo,
  countdown,
  echo,
  exchange,
  socketDir,
  staleSocket,
} from "../_net.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** Reads a connection's readable to its end. */
async function readAll(conn: Connection): Promise<string> {
  let all = "";
  for await (const chunk of conn.readable) {
    all += new TextDecoder().decode(chunk);
  }
  return all;
}

describe("NetListener.shutdown", () => {
  test("a request in flight completes intact; then it resolves", async () => {
    const listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    const arrived = countdown(1);
    const { promise: release, resolve: go } = Promise.withResolvers<void>();
    const body = "y".repeat(256 * 1024);
    listener.setClientHandler(async (conn) => {
      const reader = conn.readable.getReader();
      await reader.read(); // the request
      arrived.tick();
      await release;
      const writer = conn.writable.getWriter();
      await writer.write(text(body));
      await writer.close();
      reader.releaseLock();
      conn.close();
    });
    const reply = exchange(addr, "GET");
    await arrived.promise;
    let done = false;
    const stopped = listener.shutdown({ timeoutMs: 60_000 }).then(() => {
      done = true;
    });
    assert.equal(listener.connected, false);
    assert.deepEqual(listener.addrs, []);
    // No new connection is accepted meanwhile.
    const late = await exchange(addr);
    assert.match(String(late.error), /ECONNREFUSED|ECONNRESET/);
    assert.equal(done, false);
    assert.equal(listener.stats.active, 1);
    go();
    const { data, error } = await reply;
    assert.equal(error, undefined);
    assert.equal(data.toString(), body);
    await stopped;
    assert.equal(listener.stats.active, 0);
  });

  test("closes what is still open at timeoutMs", async () => {
    const listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    const reads: Promise<string>[] = [];
    const handed = countdown(2);
    listener.setClientHandler((conn) => {
      reads.push(readAll(conn)); // waits for a client that sends nothing
      handed.tick();
    });
    const clients = [connectTo(addr), connectTo(addr)];
    await handed.promise;
    const ends = clients.map(closed);
    await listener.shutdown({ timeoutMs: 1 });
    assert.equal(listener.stats.active, 0);
    await Promise.all(ends);
    // A pending read sees the end of the stream, as after close().
    assert.deepEqual(await Promise.all(reads), ["", ""]);
  });

  test("closes at the deadline connections nobody took", async () => {
    const listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    const client = connectTo(addr);
    // Taken by waitClient, then left with nobody: it counts until closed.
    const conn = await listener.waitClient();
    const end = closed(client);
    await listener.shutdown({ timeoutMs: 0 });
    await end;
    assert.deepEqual(await conn.readable.getReader().read(), {
      done: true,
      value: undefined,
    });
  });

  test("with proxyProtocol, closes a connection still sending its header, unreported", async () => {
    const errors: unknown[] = [];
    const listener = new NetListener({
      proxyProtocol: true,
      onError: (error) => errors.push(error),
    });
    const [addr] = await listener.open("127.0.0.1:0");
    listener.setClientHandler(() => assert.fail("no header was complete"));
    const client = connectTo(addr);
    await connected(client);
    client.write("PROXY TCP4 ");
    // The listener counts it once it accepted it.
    while (listener.stats.active === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await listener.shutdown({ timeoutMs: 0 });
    await closed(client);
    assert.deepEqual(errors, []);
    assert.deepEqual(listener.stats, {
      accepted: 0,
      rejected: 0,
      active: 0,
      errors: 0,
    });
  });

  test("resolves at once when nothing is open; twice at once is fine", async () => {
    const listener = new NetListener();
    await listener.shutdown();
    await listener.open("127.0.0.1:0");
    listener.setClientHandler(echoHandler);
    const [addr] = listener.addrs;
    assert.equal((await echo(addr, "x")).toString(), "x");
    await Promise.all([listener.shutdown(), listener.shutdown()]);
    assert.equal(listener.connected, false);
    assert.equal(SHUTDOWN_TIMEOUT_MS, 30_000);
  });

  test("checks timeoutMs", async () => {
    const listener = new NetListener();
    const cases: [unknown, typeof TypeError | typeof RangeError, string][] = [
      [
        { timeoutMs: -1 },
        RangeError,
        "Cannot shut down listener as 'timeoutMs' must be a non-negative number of milliseconds: current value is -1",
      ],
      [{ timeoutMs: Number.NaN }, RangeError, "current value is NaN"],
      [{ timeoutMs: "5" }, TypeError, 'current value is "5"'],
      [
        5,
        TypeError,
        "Cannot shut down listener as 'options' must be an object: current value is 5",
      ],
    ];
    for (const [options, type, message] of cases) {
      await assert.rejects(
        listener.shutdown(options as ShutdownOptions),
        (error: Error) => {
          assert.equal(error.constructor, type);
          assert.ok(error.message.endsWith(message), error.message);
          return true;
        },
      );
    }
  });
});

function echoHandler(conn: Connection): Promise<void> {
  return conn.readable.pipeTo(conn.writable);
}

describe("NetListener onReject", () => {
  test("answers a connection refused by maxConnections before closing it", async () => {
    const answered: string[] = [];
    await using listener = new NetListener({
      maxConnections: 1,
      onReject: async (conn) => {
        assert.equal(conn.remoteAddr.transport, "tcp");
        answered.push(conn.remoteAddr.hostname);
        const writer = conn.writable.getWriter();
        await writer.write(text("-ERR max number of clients reached\r\n"));
      },
    });
    const [addr] = await listener.open("127.0.0.1:0");
    const held: Connection[] = [];
    const handed = countdown(1);
    listener.setClientHandler((conn) => {
      held.push(conn);
      handed.tick();
    });
    const first = connectTo(addr);
    await handed.promise;
    const refused = await exchange(addr);
    assert.equal(
      refused.data.toString(),
      "-ERR max number of clients reached\r\n",
    );
    assert.deepEqual(answered, ["127.0.0.1"]);
    assert.deepEqual(listener.stats, {
      accepted: 1,
      rejected: 1,
      active: 1,
      errors: 0,
    });
    held[0]!.close();
    first.destroy();
  });

  test("a throwing or rejecting onReject: reported, counted, closed", async () => {
    const errors: unknown[] = [];
    let calls = 0;
    await using listener = new NetListener({
      maxConnections: 1,
      onError: (error) => errors.push(error),
      onReject: () => {
        if (++calls === 1) throw new Error("sync");
        return Promise.reject(new Error("async"));
      },
    });
    const [addr] = await listener.open("127.0.0.1:0");
    const handed = countdown(1);
    const held: Connection[] = [];
    listener.setClientHandler((conn) => {
      held.push(conn);
      handed.tick();
    });
    const first = connectTo(addr);
    await handed.promise;
    for (const expected of ["sync", "async"]) {
      const { data } = await exchange(addr);
      assert.equal(data.length, 0);
      assert.equal((errors.at(-1) as Error).message, expected);
    }
    assert.equal(listener.stats.errors, 2);
    assert.equal(listener.stats.rejected, 2);
    held[0]!.close();
    first.destroy();
  });
});

describe("NetListener removeStaleSocket", () => {
  test("listens where a dead server left its socket file", async () => {
    const { dir, remove } = socketDir();
    try {
      const path = join(dir, "stale.sock");
      await staleSocket(path);
      await using plain = new NetListener();
      await assert.rejects(plain.open(`unix:${path}`), /EADDRINUSE/);
      await using listener = new NetListener({ removeStaleSocket: true });
      const [addr] = await listener.open({ transport: "unix", path });
      listener.setClientHandler(echoHandler);
      assert.equal((await echo(addr, "fresh")).toString(), "fresh");
    } finally {
      remove();
    }
  });

  test("leaves a live socket and a file that is no socket alone", async () => {
    const { dir, remove } = socketDir();
    try {
      const path = join(dir, "live.sock");
      await using live = new NetListener();
      const [addr] = await live.open(`unix:${path}`);
      live.setClientHandler(echoHandler);
      await using second = new NetListener({ removeStaleSocket: true });
      await assert.rejects(
        second.open(`unix:${path}`),
        (error: Error) => {
          assert.match(
            error.message,
            /^Cannot open listener on 'unix:.*EADDRINUSE/,
          );
          return true;
        },
      );
      assert.equal((await echo(addr, "still here")).toString(), "still here");
      const file = join(dir, "plain-file");
      writeFileSync(file, "data");
      await assert.rejects(second.open(`unix:${file}`), /EADDRINUSE/);
      assert.ok(existsSync(file));
      assert.equal(second.connected, false);
    } finally {
      remove();
    }
  });
});

describe("NetListener production options", () => {
  test("are checked", () => {
    const bad = [
      [{ onReject: "x" }, "'onReject' must be a function"],
      [{ proxyProtocol: 1 }, "'proxyProtocol' must be a boolean"],
      [{ removeStaleSocket: "yes" }, "'removeStaleSocket' must be a boolean"],
    ] as const;
    for (const [options, message] of bad) {
      // deno-lint-ignore no-explicit-any
      assert.throws(() => new NetListener(options as any), (error: Error) => {
        assert.equal(error.constructor, TypeError);
        assert.ok(
          error.message.startsWith(`Cannot create listener as ${message}`),
          error.message,
        );
        return true;
      });
    }
  });
});
