// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  type Connection,
  IOCondition,
  NetListener,
  watch,
} from "../../src/listener.ts";
import { connected, connectTo, echo } from "../_net.ts";
import { bytes, fake, text } from "./_fake_transport.ts";

const { IN, OUT, ERR, HUP } = IOCondition;

/** Lets the timers that watches dispatch on run. */
function timerTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Calls of a watch callback, each resolving the next awaited promise. */
function recorder(result: (condition: number) => boolean | void = () => {}) {
  const seen: number[] = [];
  let next = Promise.withResolvers<number>();
  return {
    seen,
    callback: (_conn: Connection, condition: number) => {
      seen.push(condition);
      next.resolve(condition);
      return result(condition);
    },
    next(): Promise<number> {
      const current = next.promise;
      current.then(() => next = Promise.withResolvers());
      return current;
    },
  };
}

describe("Connection", () => {
  test("reads nothing until asked, then yields chunks in order", async () => {
    const { transport, conn } = fake();
    assert.deepEqual(conn.localAddr, { transport: "unix", path: "local.sock" });
    const reader = conn.readable.getReader();
    assert.equal(transport.reads, 0);
    transport.push(bytes("a"));
    transport.push(bytes("b"));
    transport.push(null);
    assert.equal(text((await reader.read()).value), "a");
    assert.equal(text((await reader.read()).value), "b");
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
    assert.equal(transport.reads, 3);
  });

  test("closes itself once both directions are done", async () => {
    const { transport, conn } = fake();
    transport.push(bytes("ping"));
    transport.push(null);
    await conn.readable.pipeTo(conn.writable);
    assert.deepEqual(transport.written, ["ping"]);
    // The peer's end of stream came first: the close itself ends the stream.
    assert.equal(transport.shutdowns, 0);
    assert.equal(transport.closes, 1);
  });

  test("shuts down the sending side while the peer may still send", async () => {
    const { transport, conn } = fake();
    const writer = conn.writable.getWriter();
    await writer.write(bytes("early"));
    await writer.close();
    assert.equal(transport.shutdowns, 1);
    assert.equal(transport.closes, 0);
    transport.push(bytes("late"));
    transport.push(null);
    const reader = conn.readable.getReader();
    assert.equal(text((await reader.read()).value), "late");
    assert.equal((await reader.read()).done, true);
    assert.equal(transport.closes, 1);
  });

  test("a cancelled readable does not count as the peer's end", async () => {
    const { transport, conn } = fake();
    await conn.readable.cancel();
    await conn.writable.close();
    assert.equal(transport.shutdowns, 1);
    assert.equal(transport.closes, 1);
  });

  test("close() is idempotent, ends reads and fails writes", async () => {
    const { transport, conn } = fake();
    const reader = conn.readable.getReader();
    const pending = reader.read();
    conn.close();
    await conn[Symbol.asyncDispose]();
    assert.equal(transport.closes, 1);
    assert.deepEqual(await pending, { done: true, value: undefined });
    await assert.rejects(
      conn.writable.getWriter().write(bytes("late")),
      {
        name: "ConnectionError",
        code: "EPIPE",
        message: "Cannot write to the connection as it is closed",
      },
    );
  });

  test("rejects chunks that are not bytes", async () => {
    const { conn } = fake();
    const writer = conn.writable.getWriter();
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      writer.write("text" as any),
      /^TypeError: Cannot write to the connection as a chunk must be a Uint8Array: current value is "text"$/,
    );
  });

  test("a failed read errors the readable", async () => {
    const { transport, conn } = fake();
    transport.push(new Error("reset by peer"));
    await assert.rejects(conn.readable.getReader().read(), /reset by peer/);
  });
});

describe("pipeTo between connections", () => {
  const LOCKED =
    /^TypeError: Cannot .+ as the stream is locked: it is being piped to a connection$/;

  test("holds both streams locked, then leaves them closed", async () => {
    const { transport, conn } = fake();
    const { readable, writable } = conn;
    const piped = readable.pipeTo(writable);
    assert.equal(readable.locked, true);
    assert.equal(writable.locked, true);
    assert.throws(() => readable.getReader(), LOCKED);
    assert.throws(() => readable.tee(), LOCKED);
    assert.throws(() => readable.values(), LOCKED);
    assert.throws(() => readable[Symbol.asyncIterator](), LOCKED);
    assert.throws(() => readable.pipeThrough(new TransformStream()), LOCKED);
    await assert.rejects(readable.pipeTo(new WritableStream()), LOCKED);
    await assert.rejects(readable.cancel(), LOCKED);
    assert.throws(() => writable.getWriter(), LOCKED);
    await assert.rejects(writable.close(), LOCKED);
    await assert.rejects(writable.abort(), LOCKED);
    await assert.rejects(fake().conn.readable.pipeTo(writable), LOCKED);
    transport.push(bytes("ping"));
    transport.push(null);
    await piped;
    assert.deepEqual(transport.written, ["ping"]);
    assert.equal(transport.closes, 1);
    assert.equal(readable.locked, false);
    assert.equal(writable.locked, false);
    assert.deepEqual(await readable.getReader().read(), {
      done: true,
      value: undefined,
    });
    await assert.rejects(writable.getWriter().write(bytes("late")), TypeError);
  });

  test("proxies one connection to another and shuts down its sending side", async () => {
    const from = fake();
    const to = fake();
    from.transport.push(bytes("a"));
    from.transport.push(bytes("b"));
    from.transport.push(null);
    await from.conn.readable.pipeTo(to.conn.writable);
    assert.deepEqual(to.transport.written, ["a", "b"]);
    assert.equal(to.transport.shutdowns, 1);
    // Each still has its other direction: neither closed itself.
    assert.equal(from.transport.closes, 0);
    assert.equal(to.transport.closes, 0);
    await from.conn.writable.close();
    assert.equal(from.transport.closes, 1);
  });

  test("a failed read aborts the destination and rejects", async () => {
    const from = fake();
    const to = fake();
    const reset = new Error("reset by peer");
    from.transport.push(bytes("a"));
    from.transport.push(reset);
    await assert.rejects(from.conn.readable.pipeTo(to.conn.writable), reset);
    assert.deepEqual(to.transport.written, ["a"]);
    await assert.rejects(from.conn.readable.getReader().read(), reset);
    await assert.rejects(to.conn.writable.getWriter().closed, reset);
    assert.equal(to.transport.shutdowns, 0);
  });

  test("a failed write cancels the source and rejects", async () => {
    const from = fake();
    const to = fake();
    const broken = new Error("broken pipe");
    to.transport.failWrites = broken;
    from.transport.push(bytes("a"));
    await assert.rejects(from.conn.readable.pipeTo(to.conn.writable), broken);
    await assert.rejects(to.conn.writable.getWriter().closed, broken);
    assert.deepEqual(await from.conn.readable.getReader().read(), {
      done: true,
      value: undefined,
    });
  });

  for (const options of [undefined, {}]) {
    test(
      `an echo whose write fails releases its socket (${
        options ? "standard" : "direct"
      } pipe)`,
      async () => {
        const { transport, conn } = fake();
        const broken = new Error("broken pipe");
        transport.failWrites = broken;
        transport.push(bytes("a"));
        await assert.rejects(
          conn.readable.pipeTo(conn.writable, options),
          broken,
        );
        assert.equal(transport.closes, 1);
      },
    );
  }

  test("a used stream, or options, take the standard pipeTo", async () => {
    const { transport, conn } = fake();
    transport.push(bytes("a"));
    transport.push(bytes("b"));
    transport.push(null);
    const reader = conn.readable.getReader();
    assert.equal(text((await reader.read()).value), "a");
    reader.releaseLock();
    await conn.readable.pipeTo(conn.writable, { preventClose: true });
    assert.deepEqual(transport.written, ["b"]);
    assert.equal(transport.closes, 0);
    assert.equal(conn.writable.locked, false);
    await conn.writable.close();
    assert.equal(transport.closes, 1);
  });

  test("holds the real locks: the streams' methods called through the prototype and other streams' pipes are refused", async () => {
    const { transport, conn } = fake();
    const { readable, writable } = conn;
    const piped = readable.pipeTo(writable);
    const lockedOf = (stream: object, prototype: object) =>
      Object.getOwnPropertyDescriptor(prototype, "locked")!.get!.call(stream);
    assert.equal(lockedOf(readable, ReadableStream.prototype), true);
    assert.equal(lockedOf(writable, WritableStream.prototype), true);
    assert.throws(
      () => ReadableStream.prototype.getReader.call(readable),
      TypeError,
    );
    await assert.rejects(
      ReadableStream.prototype.cancel.call(readable),
      TypeError,
    );
    assert.throws(
      () => WritableStream.prototype.getWriter.call(writable),
      TypeError,
    );
    await assert.rejects(
      WritableStream.prototype.abort.call(writable),
      TypeError,
    );
    // An empty stream's pipe would close the writable if it got in.
    const empty = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    await assert.rejects(empty.pipeTo(writable), TypeError);
    transport.push(bytes("ping"));
    transport.push(null);
    await piped;
    assert.deepEqual(transport.written, ["ping"]);
    assert.equal(transport.shutdowns, 0);
    assert.equal(transport.closes, 1);
  });

  test("a writable another pipe holds takes the standard pipeTo, which refuses it", async () => {
    const from = fake();
    const to = fake();
    const stop = new AbortController();
    const other = new ReadableStream<Uint8Array>().pipeTo(to.conn.writable, {
      signal: stop.signal,
    });
    from.transport.push(bytes("injected"));
    from.transport.push(null);
    await assert.rejects(
      from.conn.readable.pipeTo(to.conn.writable),
      TypeError,
    );
    assert.deepEqual(to.transport.written, []);
    assert.equal(from.transport.reads, 0);
    stop.abort();
    await assert.rejects(other, { name: "AbortError" });
  });

  test("keeps both streams locked until the writable's shutdown is done", async () => {
    const from = fake();
    const to = fake();
    to.transport.shutdownHeld = Promise.withResolvers();
    from.transport.push(bytes("a"));
    from.transport.push(null);
    let settled = false;
    const piped = from.conn.readable.pipeTo(to.conn.writable).then(() => {
      settled = true;
    });
    while (to.transport.shutdowns === 0) await timerTurn();
    assert.equal(settled, false);
    assert.equal(from.conn.readable.locked, true);
    assert.equal(to.conn.writable.locked, true);
    assert.throws(() => to.conn.writable.getWriter(), LOCKED);
    to.transport.shutdownHeld.resolve();
    await piped;
    assert.equal(to.conn.writable.locked, false);
    assert.deepEqual(to.transport.written, ["a"]);
  });

  for (const end of ["close", "abort"] as const) {
    for (const source of ["idle", "sending", "read ahead"] as const) {
      test(
        `a writable ${
          end === "close" ? "closed" : "aborted"
        } just before the pipe gets no bytes (source ${source})`,
        async () => {
          const from = fake();
          const to = fake();
          if (source !== "idle") from.transport.push(bytes("late"));
          if (source === "read ahead") {
            const calls = recorder(() => false);
            watch(from.conn, IN, calls.callback);
            assert.equal(await calls.next(), IN);
          }
          const writable = to.conn.writable;
          const reason = new Error("stop");
          const ended = end === "close"
            ? WritableStream.prototype.close.call(writable)
            : WritableStream.prototype.abort.call(writable, reason);
          await assert.rejects(
            from.conn.readable.pipeTo(writable),
            end === "close" ? TypeError : reason,
          );
          await ended;
          assert.deepEqual(to.transport.written, []);
          // As pipeTo does, the source was cancelled.
          assert.deepEqual(await from.conn.readable.getReader().read(), {
            done: true,
            value: undefined,
          });
        },
      );
    }
  }

  test("writes queued before the pipe go first, and the pipe keeps its lock", async () => {
    const from = fake();
    const to = fake();
    const writable = to.conn.writable;
    const early = WritableStream.prototype.getWriter.call(writable);
    const written = early.write(bytes("early "));
    early.releaseLock();
    const piped = from.conn.readable.pipeTo(writable);
    await written;
    assert.equal(writable.locked, true);
    assert.throws(() => writable.getWriter(), LOCKED);
    from.transport.push(bytes("piped"));
    from.transport.push(null);
    await piped;
    assert.deepEqual(to.transport.written, ["early ", "piped"]);
    assert.equal(to.transport.shutdowns, 1);
  });
});

describe("watch", () => {
  test("validates its arguments", () => {
    const { conn } = fake();
    // deno-lint-ignore no-explicit-any
    const bad = (...args: any[]) => () => (watch as any)(...args);
    assert.throws(
      bad({}, IN, () => {}),
      /^TypeError: Cannot watch as 'conn' must be a Connection: current value is \{\}$/,
    );
    for (const condition of [0, 2, 32, 1.5, -1]) {
      assert.throws(
        bad(conn, condition, () => {}),
        new RangeError(
          `Cannot watch as 'condition' must combine IOCondition.IN, OUT, ERR and HUP: current value is ${condition}`,
        ),
      );
    }
    assert.throws(bad(conn, IN, null), TypeError);
    assert.throws(
      bad(conn, IN, () => {}, 5),
      new TypeError(
        "Cannot watch as 'options' must be an object: current value is 5",
      ),
    );
    assert.throws(
      bad(conn, IN, () => {}, { signal: {} }),
      /^TypeError: Cannot watch as 'signal' must be an AbortSignal: current value is \{\}$/,
    );
    assert.throws(
      bad(conn, IN, () => {}, { onError: "log" }),
      /^TypeError: Cannot watch as 'onError' must be a function: current value is "log"$/,
    );
    assert.deepEqual(IOCondition, { IN: 1, OUT: 4, ERR: 8, HUP: 16 });
  });

  test("IN fires when a chunk arrives, without losing it", async () => {
    const { transport, conn } = fake();
    const reader = conn.readable.getReader();
    const reads: Promise<string>[] = [];
    const calls = recorder();
    const inWatch = watch(conn, IN, (c, condition) => {
      calls.callback(c, condition);
      reads.push(reader.read().then(({ value }) => text(value)));
    });
    await timerTurn();
    assert.deepEqual(calls.seen, [], "nothing to read yet");
    assert.equal(transport.reads, 1, "one read ahead");
    transport.push(bytes("first"));
    assert.equal(await calls.next(), IN);
    transport.push(bytes("second"));
    assert.equal(await calls.next(), IN);
    assert.deepEqual(await Promise.all(reads), ["first", "second"]);
    assert.ok(transport.reads <= 3, "never more than one chunk ahead");
    assert.equal(inWatch.remove(), true);
    assert.equal(inWatch.remove(), false);
    assert.equal(inWatch.active, false);
  });

  test("dispatches on the next turn without a timer (a zero timer waits 1 ms or more)", async () => {
    const { transport, conn } = fake();
    const realSetTimeout = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    try {
      const calls = recorder(() => calls.seen.length < 5);
      transport.push(bytes("ping"));
      watch(conn, IN | OUT, calls.callback);
      while (calls.seen.length < 5) await calls.next();
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    assert.equal(timers, 0);
  });

  test("is level-triggered until the callback returns false", async () => {
    const { transport, conn } = fake();
    transport.push(bytes("unread"));
    const calls = recorder(() => calls.seen.length < 3);
    const w = watch(conn, IN, calls.callback);
    while (calls.seen.length < 3) await calls.next();
    assert.equal(w.active, false);
    await timerTurn();
    assert.equal(calls.seen.length, 3);
    // The chunk looked at is still there for the reader.
    assert.equal(
      text((await conn.readable.getReader().read()).value),
      "unread",
    );
  });

  test("HUP and IN fire at the end of the stream", async () => {
    const { transport, conn } = fake();
    const calls = recorder(() => false);
    watch(conn, IN | HUP | OUT, calls.callback);
    // OUT holds at once on an idle connection.
    assert.equal(await calls.next(), OUT);
    const hup = recorder(() => false);
    watch(conn, HUP, hup.callback);
    transport.push(null);
    assert.equal(await hup.next(), HUP);
    const both = recorder(() => false);
    watch(conn, IN | HUP, both.callback);
    assert.equal(await both.next(), IN | HUP);
  });

  test("OUT waits while a write is in progress", async () => {
    const { transport, conn } = fake();
    transport.holdWrites = true;
    const writer = conn.writable.getWriter();
    const written = writer.write(bytes("slow"));
    const calls = recorder(() => false);
    watch(conn, OUT, calls.callback);
    await timerTurn();
    await timerTurn();
    assert.deepEqual(calls.seen, []);
    transport.release();
    await written;
    assert.equal(await calls.next(), OUT);
  });

  test("ERR fires when the connection fails", async () => {
    const { transport, conn } = fake();
    const calls = recorder(() => false);
    watch(conn, ERR, calls.callback);
    transport.push(new Error("reset"));
    assert.equal(await calls.next(), ERR);
    await assert.rejects(conn.readable.getReader().read(), /reset/);
  });

  test("is removed by its signal, by dispose and by close()", async () => {
    const { transport, conn } = fake();
    transport.push(bytes("data"));
    const never = () => assert.fail("removed watch called");
    const controller = new AbortController();
    const bySignal = watch(conn, IN, never, { signal: controller.signal });
    assert.equal(bySignal.active, true);
    controller.abort();
    assert.equal(bySignal.active, false);
    const early = watch(conn, IN, never, { signal: AbortSignal.abort() });
    assert.equal(early.active, false);
    {
      using _scoped = watch(conn, IN | OUT, never);
    }
    const byClose = watch(conn, OUT, never);
    conn.close();
    assert.equal(byClose.active, false);
    assert.equal(watch(conn, OUT, never).active, false);
    await timerTurn();
  });

  test("a throwing callback is removed and its error reported", async () => {
    const { conn } = fake();
    const reported = Promise.withResolvers<unknown>();
    const failure = new Error("callback failed");
    const w = watch(conn, OUT, () => {
      throw failure;
    }, { onError: reported.resolve });
    assert.equal(await reported.promise, failure);
    assert.equal(w.active, false);
    const rejected = Promise.withResolvers<unknown>();
    const asyncWatch = watch(conn, OUT, () => Promise.reject(failure), {
      onError: rejected.resolve,
    });
    assert.equal(await rejected.promise, failure);
    assert.equal(asyncWatch.active, false);
  });

  test("an async callback is not called again before it settles", async () => {
    const { conn } = fake();
    let calls = 0;
    const gate = Promise.withResolvers<boolean>();
    const entered = Promise.withResolvers<void>();
    const w = watch(conn, OUT, () => {
      calls++;
      entered.resolve();
      return gate.promise;
    });
    await entered.promise;
    await timerTurn();
    await timerTurn();
    assert.equal(calls, 1);
    gate.resolve(false);
    await gate.promise;
    await timerTurn();
    assert.equal(w.active, false);
    assert.equal(calls, 1);
  });
});

describe("Connection on real sockets", () => {
  test("has the same shape and addresses on this runtime", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    assert.equal(addr?.transport, "tcp");
    const client = connectTo(addr);
    await using conn = await listener.waitClient();
    await connected(client);
    assert.ok(conn.readable instanceof ReadableStream);
    assert.ok(conn.writable instanceof WritableStream);
    assert.deepEqual(conn.localAddr, addr);
    assert.deepEqual(conn.remoteAddr, {
      transport: "tcp",
      hostname: "127.0.0.1",
      port: client.localPort,
    });
    client.destroy();
  });

  test("echoes 4 MiB intact through backpressure", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));
    const payload = randomBytes(4 * 1024 * 1024);
    const reply = await echo(addr, payload);
    assert.equal(reply.length, payload.length);
    assert.ok(reply.equals(payload));
  });

  test("proxies 1 MiB from one socket to another", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    const sender = connectTo(addr);
    await using from = await listener.waitClient();
    const receiver = connectTo(addr);
    await using to = await listener.waitClient();
    const received: Buffer[] = [];
    const ended = new Promise((resolve) => receiver.on("end", resolve));
    receiver.on("data", (chunk: Buffer) => received.push(chunk));
    const payload = randomBytes(1024 * 1024);
    sender.end(payload);
    await from.readable.pipeTo(to.writable);
    await ended;
    assert.ok(Buffer.concat(received).equals(payload));
    sender.destroy();
    receiver.destroy();
  });

  test("watch sees IN and HUP on a socket", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    connectTo(addr).end("hello");
    await using conn = await listener.waitClient();
    const reader = conn.readable.getReader();
    let received = "";
    const hup = Promise.withResolvers<void>();
    watch(conn, IN | HUP | ERR, async (_conn, condition) => {
      assert.equal(condition & ERR, 0);
      const { value } = await reader.read();
      if (value) received += text(value);
      if (condition & HUP) {
        hup.resolve();
        return false;
      }
      return true;
    });
    await hup.promise;
    assert.equal(received, "hello");
  });

  test("watch sees OUT on a socket and the write arrives", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    const client = connectTo(addr);
    const got = new Promise<string>((resolve) => {
      let data = "";
      client.on("data", (chunk) => data += chunk);
      client.on("end", () => resolve(data));
    });
    await using conn = await listener.waitClient();
    const writer = conn.writable.getWriter();
    const done = Promise.withResolvers<void>();
    watch(conn, OUT, () => {
      void writer.write(bytes("ready")).then(() => writer.close()).then(
        done.resolve,
      );
      return false;
    });
    await done.promise;
    assert.equal(await got, "ready");
    client.destroy();
  });
});
