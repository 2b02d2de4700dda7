// Copyright 2026 the iox authors. MIT license.
// The task module of examples/thread_pool.ts: each export is a task.
export function square(x: number): number {
  return x * x;
}
