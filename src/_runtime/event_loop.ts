// Copyright 2026 the iox authors. MIT license.
// Giving the runtime's event loop a turn, for the Executor's run loop.

import { runtime } from "./mod.ts";

/**
 * Under Deno a `setImmediate` turn runs due timers but seldom lets sockets
 * through: Deno's scheduler polls them only when it has nothing else to run,
 * or once every 61 turns, so while a run kept busy each socket event waited
 * about 60 ms (a loopback round trip took 125 ms). Every this many turns
 * wait for a timer instead, which lets the scheduler go idle and poll them:
 * a round trip then takes at most ~17 ms, for ~2 ms of idling per 16 turns.
 * 0: never (Bun polls I/O on every turn).
 */
export const TIMER_TURN_EVERY: number = runtime === "deno" ? 16 : 0;
let turns = 0;

/**
 * Resolves once the runtime's event loop has had a turn, so that due timers
 * and I/O callbacks run. `setImmediate` (a global in Deno 2 and Bun) was
 * measured at ~10 µs (Deno) and ~4 µs (Bun) per turn, and lets timers and
 * I/O through (under Deno, I/O only with a timer's turn now and then, see
 * {@linkcode TIMER_TURN_EVERY}); chained `setTimeout(0)` is clamped to ~2 ms
 * (Deno) and ~1 ms (Bun), and a `MessageChannel` turn is slower on Deno and
 * starves timers for longer on Bun. Where `setImmediate` is missing (an
 * unknown runtime) a zero timer serves.
 */
export function yieldToEventLoop(): Promise<void> {
  if (TIMER_TURN_EVERY !== 0 && ++turns === TIMER_TURN_EVERY) {
    turns = 0;
    return new Promise((resolve) => setTimeout(resolve, 0));
  }
  return new Promise((resolve) => nextTurn(resolve));
}

/**
 * Runs `callback` on the event loop's next turn, without a timer's clamp
 * (≥ 1 ms): `setImmediate`, or a zero timer where it is missing.
 */
export const nextTurn: (callback: () => void) => unknown =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === "function"
    ? (globalThis as unknown as { setImmediate(cb: () => void): unknown })
      .setImmediate
    : (callback) => setTimeout(callback, 0);
