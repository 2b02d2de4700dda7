// Copyright 2026 the iox authors. MIT license.
// The one place that knows which runtime iox is running on. Everything
// runtime-specific lives in this folder, chosen once at load time; the rest
// of the library is web-standard.

/** The runtimes iox supports. */
export type RuntimeName = "deno" | "bun";

/** The runtime this module was loaded in, detected once. */
export const runtimeName: RuntimeName = "Bun" in globalThis ? "bun" : "deno";

/** The current working directory of the process. */
export function cwd(): string {
  const g = globalThis as unknown as {
    Deno?: { cwd(): string };
    process?: { cwd(): string };
  };
  return g.Deno ? g.Deno.cwd() : g.process!.cwd();
}
