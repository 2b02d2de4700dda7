// Copyright 2026 the iox authors. MIT license.
// The run's slicing rule, the one place to change it: how long a run
// executes handlers before giving the event loop a turn, and how often it
// reads the clock to know.

/**
 * How long a run executes handlers before giving the event loop a turn
 * (asio's reactor turn). One turn costs ~4-10 µs (see yieldToEventLoop and,
 * under Deno, TIMER_TURN_EVERY in ../_runtime/event_loop.ts), so 1 ms slices
 * cost about 1% of throughput and bound the delay a busy queue adds to
 * timers and I/O.
 */
export const SLICE_MS = 1;

/**
 * The most handlers run between two clock readings. Reading the clock costs
 * ~90 ns on Deno (~40 ns on Bun), more than a small handler, so it is read
 * after 1, 2, 4, ... handlers: every slice starts with a reading after its
 * first handler, and the interval grows and shrinks by nextClockInterval.
 * Fast handlers thus pay for 13 readings a slice and then one every
 * MAX_CLOCK_INTERVAL, and slow ones get a reading per handler: a slice
 * overshoots by one handler, or, when slow handlers follow thousands of
 * fast ones in one slice, by the slow ones before the next reading (fewer
 * than the fast ones that came before).
 */
export const MAX_CLOCK_INTERVAL = 4096;

/**
 * The number of handlers to run before the next clock reading: double the
 * last (up to MAX_CLOCK_INTERVAL) if they took under a 16th of a slice,
 * half (down to 1) if they took over a quarter, else the same.
 *
 * @param interval The handlers run since the last reading.
 * @param elapsedMs How long they took.
 */
export function nextClockInterval(
  interval: number,
  elapsedMs: number,
): number {
  if (elapsedMs < SLICE_MS / 16) {
    return interval < MAX_CLOCK_INTERVAL ? interval * 2 : interval;
  }
  if (elapsedMs > SLICE_MS / 4 && interval > 1) return interval / 2;
  return interval;
}
