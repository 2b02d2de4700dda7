// Copyright 2026 the iox authors. MIT license.
// NetListener's proxyProtocol behind a real HAProxy (send-proxy and
// send-proxy-v2), clients on node:net. Never skipped for a missing haproxy:
// .ci/run installs it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { NetListener } from "../../src/listener.ts";
import { startHaproxy } from "../_haproxy.ts";
import { closed, ipv6Loopback, whoAndEcho } from "../_net.ts";

const ipv6 = await ipv6Loopback();
const text = (s: string) => new TextEncoder().encode(s);

/** Connects through HAProxy, sends `payload`, ends; resolves with the reply. */
async function through(
  host: string,
  port: number,
  payload: string | Uint8Array,
): Promise<{ reply: Buffer; local: string }> {
  const socket: Socket = connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const local = `${socket.localAddress}:${socket.localPort}`;
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  let failure: Error | undefined;
  socket.on("error", (error) => failure = error);
  const done = closed(socket);
  socket.end(payload);
  await done;
  if (failure) throw failure;
  return { reply: Buffer.concat(chunks), local };
}

for (
  const sendProxy of [
    "send-proxy",
    "send-proxy-v2",
    "send-proxy-v2 proxy-v2-options crc32c,unique-id",
  ]
) {
  describe(`NetListener behind HAProxy with ${sendProxy}`, () => {
    test("remoteAddr is each client's own address; bytes intact", async () => {
      const errors: unknown[] = [];
      await using listener = new NetListener({
        proxyProtocol: true,
        onError: (error) => errors.push(error),
      });
      const [addr] = await listener.open("127.0.0.1:0");
      assert.equal(addr?.transport, "tcp");
      listener.setClientHandler(whoAndEcho);
      await using haproxy = await startHaproxy({ backend: addr, sendProxy });
      const big = "z".repeat(1 << 20);
      const results = await Promise.all([
        through(haproxy.host, haproxy.port, big),
        ...Array.from(
          { length: 16 },
          (_, i) => through(haproxy.host, haproxy.port, `client ${i}`),
        ),
      ]);
      results.forEach(({ reply, local }, i) => {
        const expected = `${local}\n${i === 0 ? big : `client ${i - 1}`}`;
        assert.equal(reply.length, expected.length, haproxy.config);
        assert.ok(reply.toString() === expected, `client ${i}: ${local}`);
      });
      assert.deepEqual(errors, []);
      assert.equal(listener.stats.accepted, 17);
      assert.equal(listener.stats.rejected, 0);
    });
  });
}

describe("NetListener behind HAProxy over IPv6", { skip: !ipv6 }, () => {
  for (const sendProxy of ["send-proxy", "send-proxy-v2"]) {
    test(`${sendProxy}: the client's IPv6 address`, async () => {
      await using listener = new NetListener({ proxyProtocol: true });
      const [addr] = await listener.open("127.0.0.1:0");
      assert.equal(addr?.transport, "tcp");
      listener.setClientHandler(whoAndEcho);
      await using haproxy = await startHaproxy({
        backend: addr,
        sendProxy,
        frontendHost: "::1",
      });
      const { reply, local } = await through("::1", haproxy.port, "v6");
      assert.equal(reply.toString(), `${local}\nv6`);
      assert.match(local, /^::1:\d+$/);
    });
  }
});

describe("NetListener behind HAProxy: health checks", () => {
  test("a v2 LOCAL check is accepted with the socket's own address", async () => {
    const errors: unknown[] = [];
    await using listener = new NetListener({
      proxyProtocol: true,
      onError: (error) => errors.push(error),
    });
    const [addr] = await listener.open("127.0.0.1:0");
    assert.equal(addr?.transport, "tcp");
    await using haproxy = await startHaproxy({
      backend: addr,
      sendProxy: "send-proxy-v2",
      serverExtra: "check check-send-proxy inter 100",
      // The check waits for an answer, so it cannot hang up (with a reset,
      // which drops unread bytes) before the header was read.
      backendLines: ["option tcp-check", "tcp-check expect string ok"],
    });
    const conn = await listener.waitClient({
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(conn.remoteAddr.transport, "tcp");
    assert.equal(conn.remoteAddr.hostname, "127.0.0.1");
    assert.notEqual(conn.remoteAddr.port, haproxy.port);
    const writer = conn.writable.getWriter();
    await writer.write(text("ok\n"));
    conn.close();
    assert.deepEqual(errors, []);
  });
});
