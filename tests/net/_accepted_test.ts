// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AcceptedSet } from "../../src/net/_accepted.ts";
import {
  type Addr,
  type ConnectionTransport,
  watch,
} from "../../src/listener.ts";

const text = (s: string) => new TextEncoder().encode(s);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const SOCKET_PEER: Addr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };

/** A transport that delivers `chunks` from read() and readInto(), then waits until closed. */
function fake(chunks: Uint8Array[] = []): ConnectionTransport & {
  closes: number;
  noDelay: boolean[];
} {
  const { promise, resolve } = Promise.withResolvers<null>();
  const transport = {
    localAddr: { transport: "tcp", hostname: "127.0.0.1", port: 80 } as const,
    remoteAddr: SOCKET_PEER,
    closes: 0,
    noDelay: [] as boolean[],
    read: () => Promise.resolve(chunks.shift() ?? promise),
    readInto(buffer: Uint8Array): Promise<number | null> {
      const chunk = chunks.shift();
      if (chunk === undefined) return promise;
      buffer.set(chunk);
      return Promise.resolve(chunk.length);
    },
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    setNoDelay: (on: boolean) => void transport.noDelay.push(on),
    close() {
      transport.closes++;
      resolve(null);
    },
  };
  return transport;
}

describe("AcceptedSet", () => {
  test("counts a connection until it is closed, by whoever closes it, once", async () => {
    const set = new AcceptedSet();
    const transport = fake();
    const conn = set.connect(transport, {});
    assert.equal(set.size, 1);
    let empty = false;
    const emptied = set.empty().then(() => empty = true);
    await Promise.resolve();
    assert.equal(empty, false);
    conn.close();
    conn.close();
    assert.equal(transport.closes, 1);
    assert.equal(set.size, 0);
    await emptied;
    await set.empty();
  });

  test("the connection is built on the transport itself", () => {
    const set = new AcceptedSet();
    const transport = fake();
    const conn = set.connect(transport, {});
    assert.deepEqual(conn.remoteAddr, SOCKET_PEER);
    conn.setNoDelay();
    assert.deepEqual(transport.noDelay, [true]);
    conn.close();
  });

  test("a connection that ends on its own (both sides done) is released", async () => {
    const set = new AcceptedSet();
    const ended = Object.assign(fake(), {
      readInto: () => Promise.resolve(null),
    });
    const conn = set.connect(ended, {});
    assert.equal(await conn.read(new Uint8Array(1)), null);
    await conn.closeWrite();
    assert.equal(set.size, 0);
  });

  test("a held socket counts until drop() closes it; holds() tells", () => {
    const set = new AcceptedSet();
    const transport = fake();
    set.hold(transport);
    assert.equal(set.size, 1);
    assert.equal(set.holds(transport), true);
    set.drop(transport);
    set.drop(transport);
    assert.equal(transport.closes, 1);
    assert.equal(set.holds(transport), false);
    assert.equal(set.size, 0);
  });

  test("connect() takes a held socket over: still one, counted by its connection", () => {
    const set = new AcceptedSet();
    const transport = fake();
    set.hold(transport);
    const conn = set.connect(transport, {}, { remoteAddr: null, rest: null });
    assert.equal(set.size, 1);
    assert.equal(set.holds(transport), false);
    set.drop(transport);
    assert.equal(transport.closes, 0, "drop() leaves a connection alone");
    conn.close();
    assert.equal(set.size, 0);
  });

  test("a PROXY header's client and rest: the address replaced, the bytes read first", async () => {
    const set = new AcceptedSet();
    const client: Addr = { transport: "tcp", hostname: "1.2.3.4", port: 10 };
    const conn = set.connect(fake([text("sock")]), {}, {
      remoteAddr: client,
      rest: text("abcdef"),
    });
    assert.deepEqual(conn.remoteAddr, client);
    assert.deepEqual(conn.localAddr.transport, "tcp");
    const buffer = new Uint8Array(4);
    assert.equal(await conn.read(buffer), 4);
    assert.equal(decode(buffer), "abcd");
    assert.equal(await conn.read(buffer), 2);
    assert.equal(decode(buffer.subarray(0, 2)), "ef");
    assert.equal(await conn.read(buffer), 4);
    assert.equal(decode(buffer), "sock");
    conn.close();
  });

  test("the rest is what a stream and a watch see first too", async () => {
    const set = new AcceptedSet();
    const conn = set.connect(fake([text("world")]), {}, {
      remoteAddr: null,
      rest: text("hello"),
    });
    assert.deepEqual(conn.remoteAddr, SOCKET_PEER, "null keeps the socket's");
    const seen = Promise.withResolvers<number>();
    watch(conn, 1, (_conn, condition) => {
      seen.resolve(condition);
      return false;
    });
    assert.equal(await seen.promise, 1, "IN at once: the rest is buffered");
    const reader = conn.readable.getReader();
    assert.equal(decode((await reader.read()).value!), "hello");
    assert.equal(decode((await reader.read()).value!), "world");
    reader.releaseLock();
    conn.close();
  });

  test("a closed connection drops the rest it held", async () => {
    const set = new AcceptedSet();
    const conn = set.connect(fake(), {}, {
      remoteAddr: null,
      rest: text("held"),
    });
    conn.close();
    assert.equal(await conn.read(new Uint8Array(4)), null);
  });

  test("close() closes held sockets, and connections unless only the unclaimed", async () => {
    const set = new AcceptedSet();
    const handed = fake();
    const conn = set.connect(handed, {});
    const reading = conn.readable.getReader().read();
    const pending = fake();
    set.hold(pending);
    set.close(true);
    assert.equal(pending.closes, 1);
    assert.equal(handed.closes, 0);
    set.close();
    assert.equal(handed.closes, 1);
    // The connection itself was closed: its pending read ends.
    assert.deepEqual(await reading, { done: true, value: undefined });
    assert.equal(set.size, 0);
  });
});
