// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  assertInteger,
  assertMs,
  formatValue,
  messageOf,
} from "../../src/_util/validate.ts";

describe("assertInteger", () => {
  test("takes integers in range, and Infinity when asked", () => {
    for (const value of [1, 2, 1e9]) assertInteger(value, "x", 1);
    assertInteger(0, "x", 0, 5);
    assertInteger(Infinity, "x", 0, Infinity, true);
  });

  test("a number out of the rule is a RangeError, anything else a TypeError", () => {
    for (const value of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => assertInteger(value, "Cannot go as 'n'", 1), {
        name: "RangeError",
        message:
          `Cannot go as 'n' must be a positive integer: current value is ${value}`,
      });
    }
    assert.throws(() => assertInteger(6, "Cannot go as 'n'", 0, 5), {
      name: "RangeError",
      message:
        "Cannot go as 'n' must be an integer in 0..5: current value is 6",
    });
    assert.throws(
      () => assertInteger(-1, "Cannot go as 'n'", 0, Infinity, true),
      {
        name: "RangeError",
        message:
          "Cannot go as 'n' must be a non-negative integer or Infinity: current value is -1",
      },
    );
    for (const value of ["1", 1n, null, undefined, {}]) {
      assert.throws(
        () => assertInteger(value, "Cannot go as 'n'", 1),
        TypeError,
      );
    }
    assert.throws(() => assertInteger("2", "Cannot go as 'n'", 1), {
      message:
        `Cannot go as 'n' must be a positive integer: current value is "2"`,
    });
  });
});

describe("assertMs", () => {
  test("takes positive numbers and Infinity, and 0 when allowed", () => {
    for (const value of [0.5, 30_000, Infinity]) assertMs(value, "x", false);
    assertMs(0, "x", true);
  });

  test("a number out of the rule is a RangeError, a non-number a TypeError", () => {
    for (const value of [-1, -Infinity, NaN]) {
      assert.throws(() => assertMs(value, "Cannot wait as 'ms'", true), {
        name: "RangeError",
        message:
          `Cannot wait as 'ms' must be a non-negative number of milliseconds: current value is ${value}`,
      });
    }
    assert.throws(() => assertMs(0, "Cannot wait as 'ms'", false), {
      name: "RangeError",
      message:
        "Cannot wait as 'ms' must be a positive number of milliseconds: current value is 0",
    });
    assert.throws(() => assertMs("5", "Cannot wait as 'ms'", true), {
      name: "TypeError",
      message:
        `Cannot wait as 'ms' must be a non-negative number of milliseconds: current value is "5"`,
    });
  });
});

describe("messageOf", () => {
  test("an Error's message, anything else as a string", () => {
    assert.equal(messageOf(new RangeError("out of range")), "out of range");
    assert.equal(messageOf(new DOMException("gone", "AbortError")), "gone");
    assert.equal(messageOf("plain"), "plain");
    assert.equal(messageOf(42), "42");
    assert.equal(messageOf(undefined), "undefined");
  });
});

describe("formatValue", () => {
  test("primitives as written, strings quoted", () => {
    assert.equal(formatValue("x"), '"x"');
    assert.equal(formatValue(42), "42");
    assert.equal(formatValue(10n), "10n");
    assert.equal(formatValue(undefined), "undefined");
    assert.equal(formatValue(null), "null");
    assert.equal(formatValue(function named() {}), "function named");
    assert.equal(formatValue(() => {}), "function (anonymous)");
  });

  test("plain objects and arrays as JSON; anything else by its kind", () => {
    assert.equal(formatValue({ a: 1 }), '{"a":1}');
    assert.equal(formatValue([1, "b"]), '[1,"b"]');
    assert.equal(
      formatValue(Object.assign(Object.create(null), { a: 1 })),
      '{"a":1}',
    );
    assert.equal(formatValue(new Map([[1, 2]])), "[object Map]");
    assert.equal(formatValue(new ArrayBuffer(4)), "[object ArrayBuffer]");
    assert.equal(formatValue(new (class Thing {})()), "[object Object]");
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    assert.equal(formatValue(cycle), "[object Object]");
  });

  test("cuts a long rendering short", () => {
    const shown = formatValue("x".repeat(500));
    assert.ok(shown.length < 500);
    assert.ok(shown.endsWith("..."));
  });
});
