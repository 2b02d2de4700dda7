// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PoolClosedError, WorkerCrashedError } from "../mod.ts";

describe("PoolClosedError", () => {
  test("has its class name, a default message and a cause", () => {
    const cause = new Error("why");
    const error = new PoolClosedError(undefined, { cause });
    assert.ok(error instanceof PoolClosedError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "PoolClosedError");
    assert.equal(error.message, "Cannot run task as the pool is closed");
    assert.equal(error.cause, cause);
    assert.match(String(error.stack), /PoolClosedError/);
  });
});

describe("WorkerCrashedError", () => {
  test("has its class name, the given message and a cause", () => {
    const cause = new Error("boom");
    const error = new WorkerCrashedError("Worker 3 crashed", { cause });
    assert.ok(error instanceof WorkerCrashedError);
    assert.equal(error.name, "WorkerCrashedError");
    assert.equal(error.message, "Worker 3 crashed");
    assert.equal(error.cause, cause);
    assert.equal(Object.prototype.toString.call(error), "[object Error]");
  });

  test("is not a PoolClosedError", () => {
    assert.ok(!(new WorkerCrashedError() instanceof PoolClosedError));
  });
});
