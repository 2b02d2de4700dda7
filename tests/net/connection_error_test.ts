// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError } from "../../src/listener.ts";
import {
  cannotWrite,
  toConnectionError,
} from "../../src/net/connection_error.ts";

describe("ConnectionError", () => {
  test("has its name, code, message and cause", () => {
    const cause = new Error("reset");
    const error = new ConnectionError("Cannot read", "ECONNRESET", { cause });
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ConnectionError");
    assert.equal(error.code, "ECONNRESET");
    assert.equal(error.message, "Cannot read");
    assert.equal(error.cause, cause);
  });

  test("toConnectionError keeps a known code, else takes the fallback", () => {
    const bun = Object.assign(new Error("connection reset by peer"), {
      code: "ECONNRESET",
    });
    const fromBun = toConnectionError(bun, "read from the connection");
    assert.equal(fromBun.code, "ECONNRESET");
    assert.equal(fromBun.cause, bun);
    assert.equal(
      fromBun.message,
      "Cannot read from the connection: ECONNRESET: connection reset by peer",
    );
    const odd = Object.assign(new Error("odd"), { code: "EWEIRD" });
    assert.equal(toConnectionError(odd, "read").code, "EIO");
    assert.equal(toConnectionError("text", "write", "EPIPE").code, "EPIPE");
    const already = new ConnectionError("x", "EPROTO");
    assert.equal(toConnectionError(already, "read"), already);
  });

  test("cannotWrite is EPIPE and says why", () => {
    const error = cannotWrite("it is closed");
    assert.equal(error.code, "EPIPE");
    assert.equal(
      error.message,
      "Cannot write to the connection as it is closed",
    );
  });
});
