// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeStaleSocket } from "../../src/net/_stale_socket.ts";
import { NetListener } from "../../src/listener.ts";
import { socketDir, staleSocket } from "../_net.ts";

describe("removeStaleSocket", () => {
  test("a missing path is free; a regular file is kept", async () => {
    const { dir, remove } = socketDir();
    try {
      assert.equal(await removeStaleSocket(join(dir, "none.sock")), true);
      const file = join(dir, "file");
      writeFileSync(file, "x");
      assert.equal(await removeStaleSocket(file), false);
      assert.ok(existsSync(file));
    } finally {
      remove();
    }
  });

  test("a socket someone listens on is kept", async () => {
    const { dir, remove } = socketDir();
    try {
      const path = join(dir, "live.sock");
      await using listener = new NetListener();
      await listener.open(`unix:${path}`);
      listener.setClientHandler((conn) => conn.close());
      assert.equal(await removeStaleSocket(path), false);
      assert.ok(existsSync(path));
    } finally {
      remove();
    }
  });

  test("a socket nobody listens on is removed", async () => {
    const { dir, remove } = socketDir();
    try {
      const path = join(dir, "stale.sock");
      await staleSocket(path);
      assert.equal(await removeStaleSocket(path), true);
      assert.equal(existsSync(path), false);
    } finally {
      remove();
    }
  });
});
