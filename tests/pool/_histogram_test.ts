// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Histogram } from "../../src/pool/_histogram.ts";

describe("Histogram", () => {
  test("empty: all zero", () => {
    assert.deepEqual(new Histogram().summary(), {
      count: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      max: 0,
    });
  });

  test("exact count, mean and max; percentiles within 4%", () => {
    const histogram = new Histogram();
    const values = Array.from({ length: 1000 }, (_, i) => (i + 1) * 0.37);
    for (const value of values.toReversed()) histogram.record(value);
    const { count, mean, p50, p90, p99, max } = histogram.summary();
    assert.equal(count, 1000);
    assert.ok(Math.abs(mean - 185.185) < 1e-9);
    assert.equal(max, 370);
    for (const [got, want] of [[p50, 185], [p90, 333], [p99, 366.3]]) {
      assert.ok(Math.abs(got! - want!) / want! < 0.04, `${got} vs ${want}`);
    }
  });

  test("tiny, negative and huge durations", () => {
    const histogram = new Histogram();
    histogram.record(-5);
    histogram.record(0.0004);
    histogram.record(0.05);
    assert.equal(histogram.summary().p50, 0);
    assert.ok(Math.abs(histogram.summary().p99 - 0.05) < 0.002);
    histogram.record(3e12); // about 95 years
    const { max, p99 } = histogram.summary();
    assert.equal(max, 3e12);
    assert.ok(p99 <= max);
  });
});
