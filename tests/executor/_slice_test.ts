// Copyright 2026 the iox authors. MIT license.
// The private rules of the run loop: the clock-reading interval and the
// length of a strand's turn.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_CLOCK_INTERVAL,
  nextClockInterval,
  SLICE_MS,
} from "../../src/executor/_slice.ts";
import {
  MAX_TURN_LENGTH,
  turnLength,
} from "../../src/executor/_strand_turn.ts";

describe("nextClockInterval", () => {
  test("doubles while handlers are fast, up to MAX_CLOCK_INTERVAL", () => {
    let interval = 1;
    const seen: number[] = [];
    while (interval < MAX_CLOCK_INTERVAL) {
      interval = nextClockInterval(interval, 0);
      seen.push(interval);
    }
    assert.equal(seen.length, Math.log2(MAX_CLOCK_INTERVAL));
    assert.equal(nextClockInterval(MAX_CLOCK_INTERVAL, 0), MAX_CLOCK_INTERVAL);
  });

  test("halves when handlers are slow, down to 1", () => {
    assert.equal(nextClockInterval(64, SLICE_MS), 32);
    assert.equal(nextClockInterval(1, SLICE_MS), 1);
  });

  test("stays between a 16th and a quarter of a slice", () => {
    assert.equal(nextClockInterval(64, SLICE_MS / 8), 64);
    assert.equal(nextClockInterval(64, SLICE_MS / 4), 64);
    assert.equal(nextClockInterval(64, SLICE_MS / 16), 64);
  });
});

describe("turnLength", () => {
  test("the ready handlers, bounded by MAX_TURN_LENGTH and the budget", () => {
    assert.equal(turnLength(3, Infinity), 3);
    assert.equal(turnLength(MAX_TURN_LENGTH * 4, Infinity), MAX_TURN_LENGTH);
    assert.equal(turnLength(10, 1), 1);
  });
});
