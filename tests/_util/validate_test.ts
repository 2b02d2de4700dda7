// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  assertMilliseconds,
  assertPositiveInteger,
} from "../../src/_util/validate.ts";

describe("assertPositiveInteger", () => {
  test("takes integers from 1", () => {
    for (const value of [1, 2, 1e9]) assertPositiveInteger(value, "x");
  });

  test("a number that is not one is a RangeError, anything else a TypeError", () => {
    for (const value of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => assertPositiveInteger(value, "Cannot go as 'n'"), {
        name: "RangeError",
        message:
          `Cannot go as 'n' must be a positive integer: current value is ${value}`,
      });
    }
    for (const value of ["1", 1n, null, undefined, {}]) {
      assert.throws(
        () => assertPositiveInteger(value, "Cannot go as 'n'"),
        TypeError,
      );
    }
    assert.throws(() => assertPositiveInteger("2", "Cannot go as 'n'"), {
      message:
        `Cannot go as 'n' must be a positive integer: current value is "2"`,
    });
  });
});

describe("assertMilliseconds", () => {
  test("takes 0, fractions and Infinity", () => {
    for (const value of [0, 0.5, 30_000, Infinity]) {
      assertMilliseconds(value, "x");
    }
  });

  test("a negative number or NaN is a RangeError, a non-number a TypeError", () => {
    for (const value of [-1, -Infinity, NaN]) {
      assert.throws(() => assertMilliseconds(value, "Cannot wait as 'ms'"), {
        name: "RangeError",
        message:
          `Cannot wait as 'ms' must be a non-negative number of milliseconds: current value is ${value}`,
      });
    }
    assert.throws(() => assertMilliseconds("5", "Cannot wait as 'ms'"), {
      name: "TypeError",
      message:
        `Cannot wait as 'ms' must be a non-negative number of milliseconds: current value is "5"`,
    });
  });
});
