// Copyright 2026 the iox authors. MIT license.
// The one place that knows which runtime iox is running on. Everything
// runtime-specific lives in this folder, chosen once at load time; the rest
// of the library is web-standard.

/** The runtimes iox supports. */
export type RuntimeName = "deno" | "bun";

/** The runtime this module was loaded in, detected once. */
export const runtimeName: RuntimeName = "Bun" in globalThis ? "bun" : "deno";

/**
 * Resolves once the runtime's event loop has had a turn, so that due timers
 * and I/O callbacks run. `setImmediate` (a global in Deno 2 and Bun) was
 * measured at ~10 µs (Deno) and ~4 µs (Bun) per turn, and lets timers and
 * I/O through; chained `setTimeout(0)` is clamped to ~2 ms (Deno) and ~1 ms
 * (Bun), and a `MessageChannel` turn is slower on Deno and starves timers for
 * longer on Bun.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
