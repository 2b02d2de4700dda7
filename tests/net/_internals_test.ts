// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { NetListener } from "../../src/listener.ts";
import { listenerInternals } from "../../src/net/_internals.ts";
import { echo } from "../_net.ts";

describe("net internals", () => {
  test("shareTcpPorts lets listeners bind the same port; one without it cannot", async () => {
    await using first = new NetListener();
    await using second = new NetListener();
    await using plain = new NetListener();
    listenerInternals.shareTcpPorts(first);
    listenerInternals.shareTcpPorts(second);
    const [addr] = await first.open("127.0.0.1:0");
    assert.equal(addr?.transport, "tcp");
    const [joined] = await second.open(`127.0.0.1:${addr.port}`);
    assert.deepEqual(joined, addr);
    await assert.rejects(
      plain.open(`127.0.0.1:${addr.port}`),
      /EADDRINUSE|in use/i,
    );
    // Both serve: whichever the kernel picks answers.
    for (const listener of [first, second]) {
      listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));
    }
    assert.equal(String(await echo(addr, "shared")), "shared");
  });
});
