// Copyright 2026 the iox authors. MIT license.
// The executor's private timer queue: a heap of entries plus one runtime
// timer. The runtime timer is replaced by a fake so that each test fires it
// when it means to.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type TimerEntry,
  TimerQueue,
} from "../../src/executor/_timer_queue.ts";

interface Armed {
  callback: () => void;
  delay: number;
}

// Runs `fn` with setTimeout/clearTimeout replaced: `armed` holds the
// runtime timers that are set and not cleared.
async function withFakeTimers(
  fn: (armed: Set<Armed>) => void | Promise<void>,
): Promise<void> {
  const armed = new Set<Armed>();
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  globalThis.setTimeout = ((callback: () => void, delay = 0) => {
    const timer = { callback, delay };
    armed.add(timer);
    return timer;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((timer: Armed | undefined) => {
    if (timer !== undefined) armed.delete(timer);
  }) as unknown as typeof clearTimeout;
  try {
    await fn(armed);
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
}

// Fires the one armed runtime timer.
function fire(armed: Set<Armed>): void {
  assert.equal(armed.size, 1);
  const [timer] = armed;
  armed.delete(timer!);
  timer!.callback();
}

function entry(name: string, expiry: number, log: string[]): TimerEntry {
  return { expiry, index: -1, order: 0, expire: () => log.push(name) };
}

describe("TimerQueue", () => {
  test("expires entries in expiry order, equal expiries in insertion order", async () => {
    await withFakeTimers((armed) => {
      const queue = new TimerQueue();
      const log: string[] = [];
      const past = performance.now() - 1000;
      const expiries = [5, 3, 9, 3, 1, 7, 3, 0, 8, 2];
      expiries.forEach((offset, i) =>
        queue.insert(entry(`${offset}:${i}`, past + offset, log))
      );
      fire(armed);
      assert.deepEqual(log, [
        "0:7",
        "1:4",
        "2:9",
        "3:1",
        "3:3",
        "3:6",
        "5:0",
        "7:5",
        "8:8",
        "9:2",
      ]);
      assert.equal(armed.size, 0); // empty: nothing left armed
    });
  });

  test("an entry leaves the queue (index -1) before its expire() runs", async () => {
    await withFakeTimers((armed) => {
      const queue = new TimerQueue();
      const seen: number[] = [];
      const item: TimerEntry = {
        expiry: performance.now() - 1,
        index: -1,
        order: 0,
        expire: () => seen.push(item.index),
      };
      queue.insert(item);
      assert.equal(item.index, 0);
      fire(armed);
      assert.deepEqual(seen, [-1]);
    });
  });

  test("one runtime timer, armed for the earliest expiry", async () => {
    await withFakeTimers((armed) => {
      const queue = new TimerQueue();
      const log: string[] = [];
      const now = performance.now();
      queue.insert(entry("late", now + 60_000, log));
      assert.equal(armed.size, 1);
      assert.ok([...armed][0]!.delay > 59_000);
      queue.insert(entry("early", now + 1_000, log));
      assert.equal(armed.size, 1); // re-armed, not a second timer
      assert.ok([...armed][0]!.delay <= 1_000);
      queue.insert(entry("between", now + 30_000, log));
      assert.ok([...armed][0]!.delay <= 1_000); // still for the earliest
    });
  });

  test("a timer that fires early expires nothing and re-arms", async () => {
    await withFakeTimers((armed) => {
      const queue = new TimerQueue();
      const log: string[] = [];
      queue.insert(entry("future", performance.now() + 60_000, log));
      fire(armed);
      assert.deepEqual(log, []);
      assert.equal(armed.size, 1);
    });
  });

  test("expires only what is due, then re-arms for the rest", async () => {
    await withFakeTimers((armed) => {
      const queue = new TimerQueue();
      const log: string[] = [];
      const now = performance.now();
      queue.insert(entry("due", now - 1, log));
      queue.insert(entry("future", now + 60_000, log));
      fire(armed);
      assert.deepEqual(log, ["due"]);
      assert.equal(armed.size, 1);
      assert.ok([...armed][0]!.delay > 59_000);
    });
  });

  test("remove takes any entry out, keeps the order of the others", async () => {
    await withFakeTimers((armed) => {
      const queue = new TimerQueue();
      const log: string[] = [];
      const past = performance.now() - 1000;
      const entries = Array.from(
        { length: 20 },
        (_, i) => entry(`${i}`, past + ((i * 7) % 20), log),
      );
      for (const e of entries) queue.insert(e);
      for (const i of [0, 5, 13, 19, 7]) {
        queue.remove(entries[i]!);
        assert.equal(entries[i]!.index, -1);
      }
      queue.remove(entries[0]!); // not queued: no-op
      fire(armed);
      assert.equal(log.length, 15);
      assert.ok(![0, 5, 13, 19, 7].some((i) => log.includes(`${i}`)));
      const expiryOf = new Map(entries.map((e, i) => [`${i}`, e.expiry]));
      const expiries = log.map((name) => expiryOf.get(name)!);
      assert.deepEqual(expiries, expiries.toSorted((a, b) => a - b));
    });
  });

  test("removing the last entry clears the runtime timer", async () => {
    await withFakeTimers((armed) => {
      const queue = new TimerQueue();
      const log: string[] = [];
      const now = performance.now();
      const a = entry("a", now + 1_000, log);
      const b = entry("b", now + 2_000, log);
      queue.insert(a);
      queue.insert(b);
      queue.remove(a);
      assert.equal(armed.size, 1); // still armed (for a): wakes once for b
      queue.remove(b);
      assert.equal(armed.size, 0);
    });
  });

  test("an entry may be inserted again after it expired or was removed", async () => {
    await withFakeTimers((armed) => {
      const queue = new TimerQueue();
      const log: string[] = [];
      const e = entry("again", performance.now() - 1, log);
      queue.insert(e);
      fire(armed);
      queue.insert(e);
      queue.remove(e);
      queue.insert(e);
      fire(armed);
      assert.deepEqual(log, ["again", "again"]);
    });
  });
});
