// Copyright 2026 the iox authors. MIT license.
// The runtime iox runs on, chosen once, explicitly, at load time. Each
// runtime-specific concern has one file in this folder (event_loop.ts,
// net.ts, worker.ts) that picks its adapter from `runtime`; supporting a
// third runtime is one new adapter per concern plus a line here. Nothing
// outside this folder asks which runtime it runs on.

/** The runtimes iox has adapters for, or "unknown". */
export type RuntimeName = "deno" | "bun" | "unknown";

function detect(): RuntimeName {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  // Bun is tested first: a Deno-compatibility shim in Bun would define both.
  if (typeof g.Bun === "object" && g.Bun !== null) return "bun";
  if (typeof g.Deno === "object" && g.Deno !== null) return "deno";
  return "unknown";
}

/** The runtime this module was loaded in. */
export const runtime: RuntimeName = detect();

/**
 * The error for a runtime-specific feature used where iox has no adapter
 * for the runtime; the runtime-neutral primitives keep working there.
 */
export function unsupportedRuntime(feature: string): Error {
  return new Error(
    `Cannot use ${feature} as iox has no adapter for this runtime: only Deno and Bun are supported`,
  );
}
