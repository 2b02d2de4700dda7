// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LongTimeout, MAX_TIMEOUT_MS } from "../../src/_util/long_timeout.ts";

// Replaces the runtime's timers while `fn` runs: each one armed is held
// (with its delay) for the test to fire, never fired by the runtime.
async function withHeldTimers(
  fn: (held: Map<number, { callback: () => void; ms: number }>) => unknown,
): Promise<void> {
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  const held = new Map<number, { callback: () => void; ms: number }>();
  let nextId = -1;
  globalThis.setTimeout = ((callback: () => void, ms = 0) => {
    held.set(nextId, { callback, ms });
    return nextId--;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((id: number) => {
    held.delete(id);
  }) as typeof clearTimeout;
  try {
    await fn(held);
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
}

// Fires the one held timer, as the runtime would once its delay passed.
function fireOnly(
  held: Map<number, { callback: () => void; ms: number }>,
): void {
  assert.equal(held.size, 1);
  const [id, { callback }] = [...held][0]!;
  held.delete(id);
  callback();
}

describe("LongTimeout", () => {
  test("calls back once after a delay within setTimeout's range", async () => {
    let calls = 0;
    await new Promise<void>((resolve) => {
      new LongTimeout(() => {
        calls++;
        resolve();
      }, 1);
    });
    assert.equal(calls, 1);
  });

  test("a delay within range is one runtime timer of that delay", async () => {
    await withHeldTimers((held) => {
      let called = false;
      new LongTimeout(() => called = true, MAX_TIMEOUT_MS - 1_000);
      const { ms } = [...held.values()][0]!;
      assert.ok(ms <= MAX_TIMEOUT_MS - 1_000 && ms > MAX_TIMEOUT_MS - 2_000);
      fireOnly(held);
      assert.equal(called, true);
      assert.equal(held.size, 0);
    });
  });

  test("a zero or negative delay is a runtime timer of 0 ms", async () => {
    await withHeldTimers((held) => {
      for (const ms of [0, -5]) {
        new LongTimeout(() => {}, ms);
        assert.equal([...held.values()].at(-1)!.ms, 0);
      }
    });
  });

  for (const ms of [2 ** 32, Infinity]) {
    test(`a delay of ${ms} ms is re-armed within range, never called early`, async () => {
      await withHeldTimers((held) => {
        let called = false;
        const timeout = new LongTimeout(() => called = true, ms);
        for (let i = 0; i < 3; i++) {
          assert.equal([...held.values()][0]!.ms, MAX_TIMEOUT_MS);
          fireOnly(held); // the runtime timer ran out, the delay did not
          assert.equal(called, false);
        }
        timeout.clear();
        assert.equal(held.size, 0); // the timer armed last was cleared
      });
    });
  }

  test("clear() before the delay passed: the callback is never called", async () => {
    await withHeldTimers((held) => {
      let called = false;
      new LongTimeout(() => called = true, 10).clear();
      assert.equal(held.size, 0);
      assert.equal(called, false);
    });
  });
});
