// Copyright 2026 the iox authors. MIT license.
// Shared pieces of the pool tests.
import assert from "node:assert/strict";
import type { ThreadPool } from "../../src/thread_pool.ts";

export const TASKS = new URL("../fixtures/pool_tasks.ts", import.meta.url);
export const SETUP_TASKS = new URL(
  "../fixtures/pool_setup.ts",
  import.meta.url,
);

/** A shared counter that tasks bump (cell 0) and a flag (cell 1). */
export class Counter {
  readonly buffer = new SharedArrayBuffer(8);
  readonly cells = new Int32Array(this.buffer);

  get count(): number {
    return Atomics.load(this.cells, 0);
  }

  get flagged(): boolean {
    return Atomics.load(this.cells, 1) === 1;
  }

  /** Resolves once cell `index` reaches `value` (rejects after 10 s). */
  async reach(value: number, index = 0): Promise<void> {
    for (;;) {
      const seen = Atomics.load(this.cells, index);
      if (seen >= value) return;
      const wait = Atomics.waitAsync(this.cells, index, seen, 10_000);
      const outcome = wait.async ? await wait.value : wait.value;
      assert.notEqual(
        outcome,
        "timed-out",
        `cell ${index} never reached ${value}`,
      );
    }
  }
}

/** The next `type` event of `pool`. */
export function nextEvent(
  pool: ThreadPool,
  type: string,
): Promise<CustomEvent> {
  return new Promise((resolve) =>
    pool.addEventListener(type, (event) => resolve(event as CustomEvent), {
      once: true,
    })
  );
}

/** Collects every `type` event of `pool`. */
export function collect(pool: ThreadPool, type: string): CustomEvent[] {
  const events: CustomEvent[] = [];
  pool.addEventListener(type, (event) => events.push(event as CustomEvent));
  return events;
}

/** Lets the pool's scheduling microtasks and a macrotask turn run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Waits (bounded) until `condition` holds; for states with no event. */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(condition(), "condition never held");
}
