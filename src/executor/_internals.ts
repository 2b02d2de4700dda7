// Copyright 2026 the iox authors. MIT license.
// What WorkGuard, Strand, SteadyTimer, submit() and Task need from an
// Executor beyond its public API: counting outstanding work, recognising a
// real Executor, running a batch of handlers as one (a strand's turn, whose
// rule is in _strand_turn.ts: this is only how a run counts it), and not
// counting a dropped submit.
// Executor fills this in from a static block, where its #private fields are
// in scope, so these operations stay off the public surface. Companions call
// them only at method time, when executor.ts has necessarily been evaluated
// (an Executor instance exists), so module load order cannot break them.
import type { Executor } from "./executor.ts";
import { argumentError } from "../_util/validate.ts";

/** The internal operations of Executor. */
export interface ExecutorInternals {
  /** Brand check: true only for instances of Executor. */
  isExecutor(value: unknown): value is Executor;
  /** Counts one more unit of outstanding work. */
  workStarted(executor: Executor): void;
  /** Counts one unit less; wakes a waiting run when none is left. */
  workFinished(executor: Executor): void;
  /**
   * How many handlers the running handler may run as a batch, itself
   * included (at least 1): what is left of the active run's count (1 for
   * runOne). The run reads the clock after the batch.
   */
  batchSize(executor: Executor): number;
  /**
   * Reports that the running handler ran `count` handlers (at most
   * `batchSize`), so that the active run counts each of them.
   */
  ranBatch(executor: Executor, count: number): void;
  /**
   * Reports that the running handler was a dropped `submit` (its signal
   * aborted while it was queued), so that runs do not count it.
   */
  dropped(executor: Executor): void;
}

function notLoaded(): never {
  throw new Error("iox: executor.ts has not been loaded");
}

/** Set by executor.ts when it loads. */
export const internals: ExecutorInternals = {
  isExecutor: (_value: unknown): _value is Executor => false,
  workStarted: notLoaded,
  workFinished: notLoaded,
  batchSize: notLoaded,
  ranBatch: notLoaded,
  dropped: notLoaded,
};

/**
 * Throws a `TypeError` unless `value` is an {@linkcode Executor}.
 *
 * @param value The argument to check.
 * @param what The start of the message, e.g. "Cannot create strand as
 * 'executor'".
 */
export function assertExecutor(
  value: unknown,
  what: string,
): asserts value is Executor {
  if (!internals.isExecutor(value)) {
    throw argumentError(what, "an Executor", value);
  }
}
