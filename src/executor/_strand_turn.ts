// Copyright 2026 the iox authors. MIT license.
// The Strand's batching rule, the one place to change it. A strand takes
// turns on its executor, as asio's does: a turn is one handler of the
// executor that runs, in one go, the strand's handlers that were ready when
// it began, at most MAX_TURN_LENGTH of them and at most what is left of the
// active run's count (its budget, see ExecutorInternals.batchSize); it stops
// early after a handler that goes async (its promise holds the strand),
// stops the executor or throws. Handlers given to the strand meanwhile wait
// for its next turn, queued at the executor's back, so other work on the
// executor interleaves even with a long backlog. The run reads the clock
// after a turn, and counts each of its handlers as one (ranBatch).

/**
 * The most handlers one turn runs. Turns of many handlers cut the
 * per-handler cost of a strand to about a plain executor handler's (a turn
 * per handler ran 10x slower); 64 to 1024 measured alike for 10k handlers,
 * and a bound keeps the wait of the executor's other work short whatever
 * the backlog.
 */
export const MAX_TURN_LENGTH = 256;

/**
 * How many handlers a turn runs.
 *
 * @param ready The strand's handlers queued when the turn begins.
 * @param budget What is left of the active run's count, at least 1.
 */
export function turnLength(ready: number, budget: number): number {
  return Math.min(ready, MAX_TURN_LENGTH, budget);
}
