// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AcceptedSet } from "../../src/net/_accepted.ts";
import { Connection, type ConnectionTransport } from "../../src/listener.ts";

function fake(): ConnectionTransport & { closes: number } {
  const addr = { transport: "tcp", hostname: "127.0.0.1", port: 1 } as const;
  const { promise, resolve } = Promise.withResolvers<null>();
  const transport = {
    localAddr: addr,
    remoteAddr: addr,
    closes: 0,
    read: () => promise,
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close() {
      transport.closes++;
      resolve(null);
    },
  };
  return transport;
}

describe("AcceptedSet", () => {
  test("counts a transport from add() until its close, once", async () => {
    const set = new AcceptedSet();
    const inner = fake();
    const counted = set.add(inner);
    assert.equal(set.size, 1);
    assert.equal(counted.closed, false);
    let empty = false;
    const emptied = set.empty().then(() => empty = true);
    await Promise.resolve();
    assert.equal(empty, false);
    counted.close();
    counted.close();
    assert.equal(inner.closes, 1);
    assert.equal(counted.closed, true);
    assert.equal(set.size, 0);
    await emptied;
    await set.empty();
  });

  test("has the optional members its transport has, and only those", async () => {
    const set = new AcceptedSet();
    const plain = set.add(fake());
    assert.equal(plain.readInto, undefined);
    assert.equal(plain.setNoDelay, undefined);
    const calls: string[] = [];
    const rich = set.add(Object.assign(fake(), {
      readInto: (buffer: Uint8Array) => {
        buffer[0] = 7;
        return Promise.resolve(1);
      },
      setKeepAlive: (on: boolean) => void calls.push(`keepAlive ${on}`),
      alpnProtocol: null,
    }));
    const buffer = new Uint8Array(1);
    assert.equal(await rich.readInto!(buffer), 1);
    assert.equal(buffer[0], 7);
    rich.setKeepAlive!(true);
    assert.deepEqual(calls, ["keepAlive true"]);
    assert.equal(rich.setNoDelay, undefined);
    assert.equal((rich as { alpnProtocol?: unknown }).alpnProtocol, null);
    plain.close();
    rich.close();
  });

  test("close() closes through the connection when there is one", async () => {
    const set = new AcceptedSet();
    const handed = set.add(fake());
    const conn = handed.conn = new Connection(handed);
    const reading = conn.readable.getReader().read();
    const pending = set.add(fake());
    // Only those not handed out.
    set.close(true);
    assert.equal(pending.closed, true);
    assert.equal(handed.closed, false);
    set.close();
    assert.equal(handed.closed, true);
    // The connection itself was closed: its pending read ends.
    assert.deepEqual(await reading, { done: true, value: undefined });
    assert.equal(set.size, 0);
  });
});
