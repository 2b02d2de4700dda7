// Copyright 2026 the iox authors. MIT license.
// A task module with a per-worker setup and a generator export, for the
// README's ThreadPool section.
let scale = 1;

/** Runs once per worker, before its first task, with the pool's workerData. */
export function setup(data: { scale: number }): void {
  scale = data.scale;
}

/** Yields the first `n` multiples of the worker's scale. */
export function* multiples(n: number): Generator<number> {
  for (let i = 1; i <= n; i++) yield i * scale;
}
