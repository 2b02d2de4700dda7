// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startEchoServer } from "../../examples/echo_server.ts";
import { echo, ipv6Loopback, socketDir } from "../_net.ts";

const ipv6 = await ipv6Loopback();

describe("examples/echo_server.ts", () => {
  test("echoes on every address it prints, then stops", async () => {
    const { dir, remove } = socketDir();
    const path = join(dir, "echo.sock");
    const lines: string[] = [];
    try {
      const server = await startEchoServer({
        path,
        ipv6,
        log: (line) => lines.push(line),
      });
      assert.equal(server.addrs.length, ipv6 ? 3 : 2);
      assert.equal(lines.length, server.addrs.length);
      assert.match(
        lines[0] ?? "",
        /^echo server listening on 127\.0\.0\.1:\d+$/,
      );
      assert.equal(lines.at(-1), `echo server listening on unix:${path}`);
      const ports = new Set(
        server.addrs.map((addr) => addr.transport === "tcp" && addr.port),
      );
      assert.equal(ports.size, 2, "one TCP port, and false for Unix");
      if (ipv6) {
        assert.match(lines[1] ?? "", /^echo server listening on \[::1\]:\d+$/);
      }
      for (const addr of server.addrs) {
        assert.equal((await echo(addr, "once")).toString(), "once");
      }
      await server.close();
      assert.equal(existsSync(path), false);
      const [tcp] = server.addrs;
      await assert.rejects(echo(tcp, "closed"), { code: "ECONNREFUSED" });
    } finally {
      remove();
    }
  });
});
