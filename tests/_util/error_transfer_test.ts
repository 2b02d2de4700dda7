// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  dataCloneError,
  receiveError,
  sendError,
} from "../../src/_util/error_transfer.ts";

/** As the error crosses threads: encoded, cloned, decoded. */
function roundTrip(error: unknown): unknown {
  return receiveError(structuredClone(sendError(error)));
}

describe("error transfer", () => {
  test("keeps class, custom name, message, stack, cause and properties", () => {
    class CustomError extends Error {
      code = "E_CUSTOM";
      override name = "CustomError";
    }
    const original = new CustomError("bad", { cause: new TypeError("inner") });
    const received = roundTrip(original) as Error & { code: string };
    assert.ok(received instanceof Error);
    assert.equal(received.name, "CustomError");
    assert.equal(received.message, "bad");
    assert.equal(received.stack, original.stack);
    assert.equal(received.code, "E_CUSTOM");
    assert.ok(received.cause instanceof TypeError);
    assert.equal((received.cause as Error).message, "inner");
    const range = roundTrip(new RangeError("r"));
    assert.ok(range instanceof RangeError);
  });

  test("DOMExceptions and AggregateErrors keep their kind", () => {
    const dom = roundTrip(new DOMException("late", "TimeoutError"));
    assert.ok(dom instanceof DOMException);
    assert.equal((dom as DOMException).name, "TimeoutError");
    const aggregate = roundTrip(
      new AggregateError([new RangeError("a"), "b"], "both"),
    ) as AggregateError;
    assert.ok(aggregate instanceof AggregateError);
    assert.equal(aggregate.errors.length, 2);
    assert.ok(aggregate.errors[0] instanceof RangeError);
    assert.equal(aggregate.errors[1], "b");
  });

  test("what cannot be cloned or read is left out; loops of causes are cut", () => {
    const error = new Error("holds a handle", { cause: { close() {} } });
    Object.assign(error, { fn: () => 1, code: 7 });
    const received = roundTrip(error) as Error & Record<string, unknown>;
    assert.equal(received.message, "holds a handle");
    assert.equal("cause" in received, false);
    assert.equal("fn" in received, false);
    assert.equal(received.code, 7);

    const a = new Error("a");
    const b = new Error("b", { cause: a });
    a.cause = b;
    const loop = roundTrip(a) as Error;
    assert.equal((loop.cause as Error).message, "b");
    assert.equal("cause" in (loop.cause as Error), false);

    const unreadable = new Error("x");
    Object.defineProperty(unreadable, "message", {
      get() {
        throw new Error("no");
      },
    });
    assert.equal((roundTrip(unreadable) as Error).message, "");
  });

  test("an error shared in the tree stays shared; values that are not errors pass as they are", () => {
    const shared = new Error("shared");
    const both = roundTrip(
      new AggregateError([shared, shared]),
    ) as AggregateError;
    assert.equal(both.errors[0], both.errors[1]);
    assert.equal(roundTrip("text"), "text");
    assert.deepEqual(roundTrip({ plain: 1 }), { plain: 1 });
    assert.equal(roundTrip(undefined), undefined);
  });

  test("dataCloneError: a DataCloneError DOMException, with what cloning threw if it threw", () => {
    let thrown: unknown;
    try {
      structuredClone(() => 1);
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof Error);
    const cases: [Error, string][] = [
      [
        dataCloneError("Cannot send the result of the task", thrown),
        `Cannot send the result of the task: ${thrown.message}`,
      ],
      [dataCloneError("Cannot send x", "a string"), "Cannot send x: a string"],
      [dataCloneError("Cannot send x", undefined), "Cannot send x: undefined"],
      [dataCloneError("Cannot read a message"), "Cannot read a message"],
    ];
    for (const [error, message] of cases) {
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "DataCloneError");
      assert.equal(error.message, message);
    }
    assert.equal(
      (roundTrip(cases[0]![0]) as DOMException).name,
      "DataCloneError",
    );
  });
});
