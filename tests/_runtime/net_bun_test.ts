// Copyright 2026 the iox authors. MIT license.
// Bun's adapter driven through a stand-in for a Bun.listen listener (as
// `add()` adopts one), so that it runs on any runtime and without sockets.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { bunNet } from "../../src/_runtime/net_bun.ts";

interface Handlers {
  open(socket: FakeSocket): void;
  data(socket: FakeSocket, data: Uint8Array): void;
  end(socket: FakeSocket): void;
  close(socket: FakeSocket, error?: Error): void;
}

class FakeSocket {
  data: unknown = undefined;
  written: Uint8Array[] = [];
  ended = false;
  constructor(
    readonly localAddress: string | undefined,
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
  ) {}
  write(data: Uint8Array): number {
    this.written.push(data.slice());
    return data.length;
  }
  end(): void {
    this.ended = true;
  }
  shutdown(): void {}
  pause(): void {}
  resume(): void {}
  setNoDelay(): boolean {
    return true;
  }
  setKeepAlive(): boolean {
    return true;
  }
}

function adopt(hostname: string, port: number) {
  let handlers: Handlers | undefined;
  const raw = bunNet.adopt({
    hostname,
    port,
    stop() {},
    reload(options: { socket: Handlers }) {
      handlers = options.socket;
    },
  });
  assert.ok(raw !== null, "a Bun listener's shape is adopted");
  return { raw, handlers: handlers! };
}

describe("Bun's listener adapter", () => {
  test("a wildcard listener: the socket's local address, the listener's port", async () => {
    const { raw, handlers } = adopt("0.0.0.0", 8080);
    assert.deepEqual(raw.addr, {
      transport: "tcp",
      hostname: "0.0.0.0",
      port: 8080,
    });
    handlers.open(new FakeSocket("10.0.0.5", "10.0.0.9", 50_000));
    const transport = await raw.accept();
    assert.deepEqual(transport?.localAddr, {
      transport: "tcp",
      hostname: "10.0.0.5",
      port: 8080,
    });
    assert.deepEqual(transport?.remoteAddr, {
      transport: "tcp",
      hostname: "10.0.0.9",
      port: 50_000,
    });
    raw.close();
  });

  test("a listener on one address: that address, whatever the socket says", async () => {
    const { raw, handlers } = adopt("127.0.0.1", 9000);
    handlers.open(new FakeSocket(undefined, "127.0.0.1", 40_000));
    const transport = await raw.accept();
    assert.deepEqual(transport?.localAddr, {
      transport: "tcp",
      hostname: "127.0.0.1",
      port: 9000,
    });
    raw.close();
  });

  test("a peer gone before its address was read leaves it empty, not undefined", async () => {
    const { raw, handlers } = adopt("0.0.0.0", 8080);
    handlers.open(new FakeSocket(undefined, undefined, undefined));
    const transport = await raw.accept();
    assert.deepEqual(transport?.remoteAddr, {
      transport: "tcp",
      hostname: "",
      port: 0,
    });
    assert.equal(transport?.localAddr.transport, "tcp");
    raw.close();
  });

  test("bytes in, bytes out, end of stream, and close() ends the socket", async () => {
    const { raw, handlers } = adopt("127.0.0.1", 9000);
    const socket = new FakeSocket(undefined, "127.0.0.1", 1);
    handlers.open(socket);
    const transport = (await raw.accept())!;
    const buffer = new Uint8Array(3);
    const reading = transport.readInto!(buffer);
    handlers.data(socket, new TextEncoder().encode("hello"));
    assert.equal(await reading, 3, "as much as fits");
    assert.equal(new TextDecoder().decode(buffer), "hel");
    assert.equal(await transport.readInto!(buffer), 2, "the rest kept");
    handlers.end(socket);
    assert.equal(await transport.readInto!(buffer), null);
    await transport.write(new TextEncoder().encode("bye"));
    assert.equal(new TextDecoder().decode(socket.written[0]), "bye");
    transport.close();
    assert.equal(socket.ended, true);
    raw.close();
  });

  test("close() ends a waiting accept() with null and closes sockets nobody took", async () => {
    const { raw, handlers } = adopt("127.0.0.1", 9000);
    const waiting = raw.accept();
    raw.close();
    assert.equal(await waiting, null);
    const late = new FakeSocket(undefined, "127.0.0.1", 1);
    handlers.open(late);
    assert.equal(late.ended, true, "a socket opened after close() is ended");

    const other = adopt("127.0.0.1", 9001);
    const queued = new FakeSocket(undefined, "127.0.0.1", 2);
    other.handlers.open(queued);
    other.raw.close();
    assert.equal(queued.ended, true);
    assert.equal(await other.raw.accept(), null);
  });
});
