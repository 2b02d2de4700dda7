// Copyright 2026 the iox authors. MIT license.
// Connection's Deno.Conn-style methods, its errors and its idle timeout.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  Connection,
  ConnectionError,
  IOCondition,
  NetListener,
  watch,
} from "../../src/listener.ts";
import { connect } from "node:net";
import { closed, connected, connectTo, echo, socketDir } from "../_net.ts";
import { bytes, fake, FakeIntoTransport, text } from "./_fake_transport.ts";

async function readAll(conn: Connection, size = 3): Promise<string> {
  const buffer = new Uint8Array(size);
  let got = "";
  for (let n; (n = await conn.read(buffer)) !== null;) {
    got += text(buffer.subarray(0, n));
  }
  return got;
}

describe("Connection.read and write", () => {
  test("read() fills the caller's buffer, keeping what does not fit", async () => {
    const { transport, conn } = fake();
    transport.push(bytes("hello"));
    transport.push(bytes("!"));
    transport.push(null);
    assert.equal(await conn.read(new Uint8Array(0)), 0);
    assert.equal(await readAll(conn, 2), "hello!");
    assert.equal(await conn.read(new Uint8Array(4)), null);
    assert.equal(transport.reads, 3);
  });

  test("reads straight into the buffer when the transport can", async () => {
    const transport = new FakeIntoTransport();
    const conn = new Connection(transport);
    transport.push(bytes("abcdef"));
    transport.push(null);
    const buffer = new Uint8Array(4);
    assert.equal(await conn.read(buffer), 4);
    assert.equal(text(buffer), "abcd");
    assert.equal(await readAll(conn), "ef");
    assert.equal(transport.intoReads, 3);
  });

  test("overlapping reads and writes are served in order", async () => {
    const { transport, conn } = fake();
    const a = new Uint8Array(1);
    const b = new Uint8Array(1);
    const first = conn.read(a);
    const second = conn.read(b);
    transport.push(bytes("x"));
    transport.push(bytes("y"));
    assert.deepEqual([await first, await second], [1, 1]);
    assert.equal(text(a) + text(b), "xy");
    transport.holdWrites = true;
    const writes = [conn.write(bytes("1")), conn.write(bytes("22"))];
    assert.deepEqual(transport.written, ["1"]);
    transport.release();
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    transport.release();
    assert.deepEqual(await Promise.all(writes), [1, 2]);
    assert.deepEqual(transport.written, ["1", "22"]);
  });

  test("mixing read() and readable loses and repeats no byte", async () => {
    const { transport, conn } = fake();
    transport.push(bytes("abcdef"));
    transport.push(bytes("gh"));
    transport.push(bytes("ij"));
    transport.push(null);
    const buffer = new Uint8Array(2);
    assert.equal(await conn.read(buffer), 2);
    const reader = conn.readable.getReader();
    assert.equal(text((await reader.read()).value), "cdef");
    // A read the reader asked for and left in the stream's queue comes next.
    assert.equal(text((await reader.read()).value), "gh");
    reader.releaseLock();
    assert.equal(await readAll(conn, 1), "ij");
  });

  test("a chunk read ahead for a watch goes to the next read()", async () => {
    const { transport, conn } = fake();
    const seen = Promise.withResolvers<number>();
    watch(conn, IOCondition.IN, (_conn, condition) => {
      seen.resolve(condition);
      return false;
    });
    transport.push(bytes("ahead"));
    assert.equal(await seen.promise, IOCondition.IN);
    transport.push(null);
    assert.equal(await readAll(conn), "ahead");
  });

  test("refuses read() while readable is locked and write() or closeWrite() while writable is", async () => {
    const { conn } = fake();
    const reader = conn.readable.getReader();
    await assert.rejects(conn.read(new Uint8Array(1)), {
      name: "TypeError",
      message: "Cannot read from the connection as its readable is locked",
    });
    reader.releaseLock();
    const writer = conn.writable.getWriter();
    await assert.rejects(conn.write(bytes("x")), {
      name: "TypeError",
      message: "Cannot write to the connection as its writable is locked",
    });
    await assert.rejects(conn.closeWrite(), {
      name: "TypeError",
      message: "Cannot shut down the connection as its writable is locked",
    });
    writer.releaseLock();
    assert.equal(await conn.write(bytes("x")), 1);
  });

  test("refuses what is not a buffer or a boolean", async () => {
    const { conn } = fake();
    await assert.rejects(conn.read("x" as unknown as Uint8Array), {
      name: "TypeError",
      message:
        "Cannot read from the connection as 'buffer' must be a Uint8Array: current value is \"x\"",
    });
    await assert.rejects(conn.write([1] as unknown as Uint8Array), {
      name: "TypeError",
      message:
        "Cannot write to the connection as 'data' must be a Uint8Array: current value is [1]",
    });
    await assert.rejects(
      conn.read(new ArrayBuffer(4) as unknown as Uint8Array),
      {
        name: "TypeError",
        message:
          "Cannot read from the connection as 'buffer' must be a Uint8Array: current value is [object ArrayBuffer]",
      },
    );
    assert.throws(() => conn.setNoDelay("yes" as unknown as boolean), {
      name: "TypeError",
      message:
        `Cannot set no-delay as 'on' must be a boolean: current value is "yes"`,
    });
    assert.throws(() => conn.setKeepAlive(1 as unknown as boolean), TypeError);
  });

  test("closeWrite() shuts down once; later writes fail with EPIPE; the end closes the connection", async () => {
    const { transport, conn } = fake();
    await conn.closeWrite();
    await conn.closeWrite();
    assert.equal(transport.shutdowns, 1);
    await assert.rejects(conn.write(bytes("late")), {
      name: "ConnectionError",
      code: "EPIPE",
    });
    assert.equal(transport.closes, 0);
    transport.push(null);
    assert.equal(await conn.read(new Uint8Array(1)), null);
    assert.equal(transport.closes, 1);
  });

  test("a write after close() fails with EPIPE; a read reports the end", async () => {
    const { conn } = fake();
    conn.close();
    const error = await conn.write(bytes("x")).catch((e) => e);
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.code, "EPIPE");
    assert.equal(await conn.read(new Uint8Array(1)), null);
  });

  test("a failed read rejects read() with the transport's error", async () => {
    const { transport, conn } = fake();
    const failure = new ConnectionError("reset", "ECONNRESET");
    transport.push(failure);
    await assert.rejects(conn.read(new Uint8Array(1)), failure);
    await assert.rejects(conn.read(new Uint8Array(1)), failure);
  });
});

describe("Connection idle timeout", () => {
  test("validates idleTimeoutMs", () => {
    const transport = fake().transport;
    assert.throws(() => new Connection(transport, { idleTimeoutMs: 0 }), {
      name: "RangeError",
      message:
        "Cannot create connection as 'idleTimeoutMs' must be a positive number of milliseconds: current value is 0",
    });
    assert.throws(
      () =>
        new Connection(transport, { idleTimeoutMs: "1" as unknown as number }),
      TypeError,
    );
    assert.throws(() => new NetListener({ idleTimeoutMs: -1 }), {
      name: "RangeError",
      message:
        "Cannot create listener as 'idleTimeoutMs' must be a positive number of milliseconds: current value is -1",
    });
  });

  test("closes an idle connection; a pending read rejects with TimeoutError", async () => {
    const { transport, conn } = fake({ idleTimeoutMs: 40 });
    const started = performance.now();
    await assert.rejects(conn.read(new Uint8Array(1)), {
      name: "TimeoutError",
    });
    assert.ok(performance.now() - started >= 39);
    assert.equal(transport.closes, 1);
    await assert.rejects(conn.read(new Uint8Array(1)), {
      name: "TimeoutError",
    });
  });

  test("a pending stream read errors with TimeoutError too", async () => {
    const { conn } = fake({ idleTimeoutMs: 20 });
    await assert.rejects(conn.readable.getReader().read(), {
      name: "TimeoutError",
    });
  });

  test("a slow but active peer is never cut", async () => {
    const { transport, conn } = fake({ idleTimeoutMs: 60 });
    let got = "";
    const reading = (async () => {
      const buffer = new Uint8Array(8);
      for (let n; (n = await conn.read(buffer)) !== null;) {
        got += text(buffer.subarray(0, n));
      }
    })();
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      transport.push(bytes(String(i)));
    }
    transport.push(null);
    await reading;
    assert.equal(got, "01234567");
    assert.equal(transport.closes, 0);
    conn.close();
  });

  test("the listener's option closes idle sockets and leaves busy ones", async () => {
    await using listener = new NetListener({ idleTimeoutMs: 50 });
    const [addr] = await listener.open("127.0.0.1:0");
    const idle = connectTo(addr);
    const conn = await listener.waitClient();
    const failure = conn.read(new Uint8Array(1)).catch((error) => error);
    await closed(idle);
    assert.equal((await failure).name, "TimeoutError");
    assert.equal(listener.stats.active, 0);
    listener.setClientHandler((c) => c.readable.pipeTo(c.writable));
    assert.equal((await echo(addr, "busy")).toString(), "busy");
  });
});

describe("Connection.read and write on sockets", () => {
  test("echo with read/write over TCP and Unix, with the socket options", async () => {
    const { dir, remove } = socketDir();
    try {
      await using listener = new NetListener();
      const addrs = await listener.open([
        "127.0.0.1:0",
        { transport: "unix", path: `${dir}/io.sock` },
      ]);
      listener.setClientHandler(async (conn) => {
        conn.setNoDelay(false);
        conn.setNoDelay();
        conn.setKeepAlive();
        conn.setKeepAlive(false);
        const buffer = new Uint8Array(1000);
        for (let n; (n = await conn.read(buffer)) !== null;) {
          await conn.write(buffer.subarray(0, n));
        }
        await conn.closeWrite();
      });
      const payload = randomBytes(512 * 1024);
      for (const addr of addrs) {
        assert.ok((await echo(addr, payload)).equals(payload));
      }
      assert.equal(listener.stats.active, 0);
    } finally {
      remove();
    }
  });

  test("closeWrite() half-closes: the peer reads the end, reading goes on", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    assert.equal(addr?.transport, "tcp");
    const client = connect({
      port: addr.port,
      host: "127.0.0.1",
      allowHalfOpen: true,
    });
    const gone = closed(client);
    await using conn = await listener.waitClient();
    let got = "";
    client.on("data", (chunk) => got += chunk);
    // The client answers the server's end of stream, then ends its side.
    client.on("end", () => client.end(`after ${got}`));
    await conn.write(bytes("bye"));
    await conn.closeWrite();
    assert.equal(await readAll(conn, 64), "after bye");
    await gone;
  });

  test("a peer's reset is a ConnectionError ECONNRESET, the same class on both runtimes", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    for (const pending of [true, false]) {
      const client = connectTo(addr);
      client.on("error", () => {});
      await using conn = await listener.waitClient();
      await connected(client);
      // A read waiting when the reset comes, and one made after it.
      const reading = pending ? conn.read(new Uint8Array(16)) : null;
      client.resetAndDestroy();
      await closed(client);
      const reset = {
        name: "ConnectionError",
        code: "ECONNRESET",
      };
      await assert.rejects(reading ?? conn.read(new Uint8Array(16)), reset);
      // The connection failed: writes say so too.
      await assert.rejects(conn.write(bytes("late")), reset);
    }
  });
});
