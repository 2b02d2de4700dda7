// Copyright 2026 the iox authors. MIT license.
// What WorkGuard, Strand and SteadyTimer need from an Executor beyond its
// public API: counting outstanding work, and recognising a real Executor.
// Executor fills this in from a static block, where its #private fields are
// in scope, so these operations stay off the public surface. Companions call
// them only at method time, when executor.ts has necessarily been evaluated
// (an Executor instance exists), so module load order cannot break them.
import type { Executor } from "./executor.ts";

/** The internal operations of Executor. */
export interface ExecutorInternals {
  /** Brand check: true only for instances of Executor. */
  isExecutor(value: unknown): value is Executor;
  /** Counts one more unit of outstanding work. */
  workStarted(executor: Executor): void;
  /** Counts one unit less; wakes a waiting run when none is left. */
  workFinished(executor: Executor): void;
}

function notLoaded(): never {
  throw new Error("iox: executor.ts has not been loaded");
}

/** Set by executor.ts when it loads. */
export const internals: ExecutorInternals = {
  isExecutor: (_value: unknown): _value is Executor => false,
  workStarted: notLoaded,
  workFinished: notLoaded,
};
