// Copyright 2026 the iox authors. MIT license.
// NetListener's proxyProtocol option, driven by node:net clients that send
// hand-built PROXY protocol headers (HAProxy itself: haproxy_test.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Addr,
  type Connection,
  IOCondition,
  NetListener,
  PROXY_HEADER_TIMEOUT_MS,
  watch,
} from "../../src/listener.ts";
import {
  closed,
  connected,
  connectTo,
  countdown,
  exchange,
  ipv6Loopback,
  socketDir,
  whoAndEcho,
} from "../_net.ts";
import {
  concat,
  ipv4Block,
  ipv6Block,
  tlv,
  unixBlock,
  v1,
  v2,
} from "../_proxy.ts";

const ipv6 = await ipv6Loopback();
const text = (s: string) => new TextEncoder().encode(s);

/** A listener with proxyProtocol on 127.0.0.1, its errors collected. */
async function proxied(
  options: { maxConnections?: number; onReject?: (c: Connection) => unknown } =
    {},
): Promise<
  { listener: NetListener; addr: Addr; errors: unknown[] } & AsyncDisposable
> {
  const errors: unknown[] = [];
  const listener = new NetListener({
    proxyProtocol: true,
    onError: (error) => errors.push(error),
    ...options,
  });
  const [addr] = await listener.open("127.0.0.1:0");
  return {
    listener,
    addr: addr!,
    errors,
    [Symbol.asyncDispose]: () => listener[Symbol.asyncDispose](),
  };
}

describe("NetListener proxyProtocol: valid headers", () => {
  test("v1: remoteAddr is the client the header names; its bytes follow it", async () => {
    await using server = await proxied();
    server.listener.setClientHandler(whoAndEcho);
    const header = v1("TCP4 203.0.113.7 192.0.2.1 51000 443");
    const { data, error } = await exchange(
      server.addr,
      concat(header, text("GET / HTTP/1.0\r\n\r\n")),
    );
    assert.equal(error, undefined);
    assert.equal(
      data.toString(),
      "203.0.113.7:51000\nGET / HTTP/1.0\r\n\r\n",
    );
    assert.deepEqual(server.errors, []);
    assert.equal(server.listener.stats.accepted, 1);
    assert.equal(server.listener.stats.rejected, 0);
  });

  test("v2 over IPv6 with TLVs, through the direct pipe", async () => {
    await using server = await proxied();
    const remotes: Addr[] = [];
    server.listener.setClientHandler((conn) => {
      remotes.push(conn.remoteAddr);
      return conn.readable.pipeTo(conn.writable);
    });
    const header = v2({
      familyProtocol: 0x21,
      addresses: ipv6Block(
        "2001:0db8:0000:0000:0000:0000:0000:0042",
        "2001:0db8:0000:0000:0000:0000:0000:0001",
        40404,
        8443,
      ),
      tlvs: [...tlv(0x01, text("h2")), ...tlv(0x05, text("req-1"))],
    });
    const payload = text("x".repeat(100_000));
    const { data } = await exchange(server.addr, concat(header, payload));
    assert.equal(data.length, payload.length);
    assert.deepEqual(new Uint8Array(data), payload);
    assert.deepEqual(remotes, [
      { transport: "tcp", hostname: "2001:db8::42", port: 40404 },
    ]);
  });

  test("a header sent in pieces, the payload after it", async () => {
    await using server = await proxied();
    server.listener.setClientHandler(whoAndEcho);
    const socket = connectTo(server.addr);
    await connected(socket);
    const header = v2({
      addresses: ipv4Block("198.51.100.2", "10.0.0.1", 7, 8),
    });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    const done = closed(socket);
    for (let at = 0; at < header.length; at += 5) {
      socket.write(header.subarray(at, at + 5));
    }
    socket.end("after");
    await done;
    assert.equal(Buffer.concat(chunks).toString(), "198.51.100.2:7\nafter");
  });

  test("LOCAL and UNKNOWN keep the socket's own address", async () => {
    await using server = await proxied();
    server.listener.setClientHandler(whoAndEcho);
    for (
      const header of [
        v2({ versionCommand: 0x20, familyProtocol: 0 }),
        v1("UNKNOWN"),
        v1("UNKNOWN ::1 ::2 1 2"),
      ]
    ) {
      const socket = connectTo(server.addr);
      await connected(socket);
      const chunks: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      const done = closed(socket);
      socket.end(concat(header, text("ping")));
      const own = `${socket.localAddress}:${socket.localPort}`;
      await done;
      assert.equal(Buffer.concat(chunks).toString(), `${own}\nping`);
    }
    assert.equal(server.listener.stats.accepted, 3);
  });

  test("waitClient gets the relayed connection; read through a reader", async () => {
    await using server = await proxied();
    const socket = connectTo(server.addr);
    socket.write(concat(v1("TCP4 1.2.3.4 5.6.7.8 9 10"), text("first")));
    const conn = await server.listener.waitClient({
      signal: AbortSignal.timeout(10_000),
    });
    assert.deepEqual(conn.remoteAddr, {
      transport: "tcp",
      hostname: "1.2.3.4",
      port: 9,
    });
    assert.equal(conn.localAddr.transport, "tcp");
    const reader = conn.readable.getReader();
    let received = "";
    socket.end("second");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    assert.equal(received, "firstsecond");
    conn.close();
    socket.destroy();
  });

  test("a watch sees the bytes that came with the header as readable", async () => {
    await using server = await proxied();
    const socket = connectTo(server.addr);
    socket.write(concat(v1("TCP4 1.2.3.4 5.6.7.8 9 10"), text("early")));
    const conn = await server.listener.waitClient();
    const seen = Promise.withResolvers<number>();
    watch(conn, IOCondition.IN, (_, condition) => {
      seen.resolve(condition);
      return false;
    });
    assert.equal(await seen.promise, IOCondition.IN);
    const { value } = await conn.readable.getReader().read();
    assert.equal(new TextDecoder().decode(value), "early");
    conn.close();
    socket.destroy();
  });

  test("read() into a buffer gets the bytes after the header first", async () => {
    await using server = await proxied();
    const socket = connectTo(server.addr);
    socket.write(
      concat(
        v2({ addresses: ipv4Block("7.7.7.7", "8.8.8.8", 7, 8) }),
        text("0123456789"),
      ),
    );
    const conn = await server.listener.waitClient();
    assert.deepEqual(conn.remoteAddr, {
      transport: "tcp",
      hostname: "7.7.7.7",
      port: 7,
    });
    const buffer = new Uint8Array(4);
    let received = "";
    socket.end("abc");
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, n));
    }
    assert.equal(received, "0123456789abc");
    conn.close();
  });

  test("a TLS address is refused: the header would come before the handshake", async () => {
    await using listener = new NetListener({ proxyProtocol: true });
    await assert.rejects(
      listener.open({
        hostname: "127.0.0.1",
        port: 0,
        tls: { cert: "x", key: "y" },
      }),
      (error: Error) => {
        assert.equal(error.constructor, TypeError);
        assert.match(
          error.message,
          /^Cannot open listener on '127\.0\.0\.1:0' as 'tls' cannot be used with 'proxyProtocol'/,
        );
        return true;
      },
    );
    assert.equal(listener.connected, false);
  });

  test("a Unix socket listener reads v2 Unix addresses", async () => {
    const { dir, remove } = socketDir();
    try {
      await using listener = new NetListener({ proxyProtocol: true });
      const [addr] = await listener.open(`unix:${join(dir, "pp.sock")}`);
      listener.setClientHandler(whoAndEcho);
      const header = v2({
        familyProtocol: 0x31,
        addresses: unixBlock("/run/lb-client", "/run/app.sock"),
      });
      const { data } = await exchange(addr, concat(header, text("u")));
      assert.equal(data.toString(), "unix:/run/lb-client\nu");
    } finally {
      remove();
    }
  });

  test("an IPv6 listener, a v1 TCP6 header", { skip: !ipv6 }, async () => {
    await using listener = new NetListener({ proxyProtocol: true });
    const [addr] = await listener.open("[::1]:0");
    listener.setClientHandler(whoAndEcho);
    const { data } = await exchange(
      addr,
      concat(v1("TCP6 2001:db8::7 ::1 5 6"), text("six")),
    );
    assert.equal(data.toString(), "2001:db8::7:5\nsix");
  });
});

describe("NetListener proxyProtocol: refused connections", () => {
  test("garbage, truncated, oversize and invalid headers: closed, counted, reported", async () => {
    await using server = await proxied();
    let handled = 0;
    server.listener.setClientHandler(() => void handled++);
    const bad: [Uint8Array, RegExp][] = [
      [
        text("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        /does not start with a PROXY header/,
      ],
      [
        text("PROXY TCP4 1.2.3.4 5.6"),
        /ended before its PROXY protocol header was complete/,
      ],
      [
        text(`PROXY UNKNOWN ${"a".repeat(120)}\r\n`),
        /no CRLF in its first 107 bytes/,
      ],
      [text("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), /ends without CRLF/],
      [
        v2({
          versionCommand: 0x21,
          familyProtocol: 0x11,
          addresses: [1, 2, 3],
        }),
        /need 12 bytes/,
      ],
      [
        v2({ addresses: ipv4Block("1.1.1.1", "2.2.2.2", 1, 2) }).subarray(
          0,
          20,
        ),
        /ended before/,
      ],
      [v2({ versionCommand: 0x23 }), /command 3 is unassigned/],
      [new Uint8Array(0), /ended before/],
    ];
    for (const [i, [bytes, message]] of bad.entries()) {
      const { data } = await exchange(server.addr, bytes);
      assert.equal(data.length, 0, "nothing answered");
      // Reported as the connection was closed, before the client saw it.
      assert.equal(server.errors.length, i + 1);
      const error = server.errors[i] as Error;
      assert.equal(error.constructor, Error);
      assert.match(
        error.message,
        /^Cannot accept connection from 127\.0\.0\.1:\d+ as /,
      );
      assert.match(error.message, message);
    }
    assert.equal(handled, 0);
    assert.deepEqual(server.listener.stats, {
      accepted: 0,
      rejected: bad.length,
      active: 0,
      errors: 0,
    });
  });

  test(
    `no complete header within PROXY_HEADER_TIMEOUT_MS (${PROXY_HEADER_TIMEOUT_MS} ms): closed`,
    { timeout: PROXY_HEADER_TIMEOUT_MS * 4 },
    async () => {
      await using server = await proxied();
      server.listener.setClientHandler(() => assert.fail("not handed out"));
      const socket = connectTo(server.addr);
      await connected(socket);
      socket.write("PROXY TCP4 1.2.3.4 ");
      await closed(socket);
      assert.equal(server.errors.length, 1);
      const [error] = server.errors as DOMException[];
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "TimeoutError");
      assert.deepEqual(server.listener.stats, {
        accepted: 0,
        rejected: 1,
        active: 0,
        errors: 0,
      });
    },
  );

  test("a connection still sending its header counts as active", async () => {
    await using server = await proxied({ maxConnections: 1 });
    server.listener.setClientHandler(whoAndEcho);
    const slow = connectTo(server.addr);
    await connected(slow);
    slow.write("PROXY ");
    // Refused: the one allowed is still sending its header.
    const { data } = await exchange(server.addr, v1("UNKNOWN"));
    assert.equal(data.length, 0);
    assert.equal(server.listener.stats.active, 1);
    assert.equal(server.listener.stats.rejected, 1);
    const chunks: Buffer[] = [];
    slow.on("data", (chunk: Buffer) => chunks.push(chunk));
    const done = closed(slow);
    slow.end(concat(text("TCP4 9.9.9.9 8.8.8.8 1 2\r\n"), text("ok")));
    await done;
    assert.equal(Buffer.concat(chunks).toString(), "9.9.9.9:1\nok");
  });

  test("onReject answers the relayed client past maxConnections", async () => {
    const refused: Addr[] = [];
    await using server = await proxied({
      maxConnections: 1,
      onReject: async (conn) => {
        refused.push(conn.remoteAddr);
        const writer = conn.writable.getWriter();
        await writer.write(text("-ERR max number of clients reached\r\n"));
      },
    });
    const held: Connection[] = [];
    const handed = countdown(1);
    server.listener.setClientHandler((conn) => {
      held.push(conn);
      handed.tick();
    });
    const first = connectTo(server.addr);
    first.write(v1("TCP4 1.1.1.1 2.2.2.2 1 2"));
    await handed.promise;
    const { data } = await exchange(
      server.addr,
      v1("TCP4 3.3.3.3 2.2.2.2 3 4"),
    );
    assert.equal(data.toString(), "-ERR max number of clients reached\r\n");
    assert.deepEqual(refused, [
      { transport: "tcp", hostname: "3.3.3.3", port: 3 },
    ]);
    assert.equal(server.listener.stats.rejected, 1);
    assert.equal(server.listener.stats.active, 1);
    held[0]!.close();
    first.destroy();
  });
  test("answers in progress are bounded by maxConnections; past it, closed at once", async () => {
    let answered = 0;
    await using server = await proxied({
      maxConnections: 1,
      onReject: async (conn) => {
        answered++;
        const writer = conn.writable.getWriter();
        await writer.write(text("-ERR busy\r\n"));
      },
    });
    const handed = countdown(1);
    const held: Connection[] = [];
    server.listener.setClientHandler((conn) => {
      held.push(conn);
      handed.tick();
    });
    const first = connectTo(server.addr);
    first.write(v1("UNKNOWN"));
    await handed.promise;
    // Refused, and being answered: its header is still awaited.
    const second = connectTo(server.addr);
    await connected(second);
    const secondReply: Buffer[] = [];
    second.on("data", (chunk: Buffer) => secondReply.push(chunk));
    const secondClosed = closed(second);
    // Refused while one answer is in progress: closed without one.
    const third = await exchange(server.addr, v1("UNKNOWN"));
    assert.equal(third.data.length, 0);
    assert.equal(answered, 0);
    second.end(v1("TCP4 4.4.4.4 2.2.2.2 4 2"));
    await secondClosed;
    assert.equal(Buffer.concat(secondReply).toString(), "-ERR busy\r\n");
    assert.equal(answered, 1);
    assert.equal(server.listener.stats.rejected, 2);
    held[0]!.close();
    first.destroy();
  });
});
