// Copyright 2026 the iox authors. MIT license.
// How a worker can end itself, per runtime. Deno fires no event on the
// parent when a worker calls `self.close()`, `Deno.exit()` or
// `process.exit()`; Bun has no `self.close()` and fires "close" on the
// parent for `process.exit()`. Wrapping the exits inside the worker, before
// the task module loads, is the one way to tell the pool on both.

type Exit = (code?: number) => unknown;

interface ExitHolders {
  close?: () => void;
  Deno?: { exit?: Exit };
  process?: { exit?: Exit };
}

/**
 * Wraps every way this worker can end itself so that `beforeExit` runs
 * first (once), with a description such as "Deno.exit(3)".
 */
export function interceptExits(beforeExit: (how: string) => void): void {
  const holders = globalThis as unknown as ExitHolders;
  let told = false;
  const tell = (how: string): void => {
    if (told) return;
    told = true;
    beforeExit(how);
  };
  const close = holders.close;
  if (typeof close === "function") {
    holders.close = () => {
      tell("self.close()");
      close.call(globalThis);
    };
  }
  for (
    const [label, holder] of [["Deno", holders.Deno], [
      "process",
      holders.process,
    ]] as const
  ) {
    const exit = holder?.exit;
    if (holder === undefined || typeof exit !== "function") continue;
    holder.exit = (code?: number) => {
      tell(`${label}.exit(${code ?? ""})`);
      return exit.call(holder, code);
    };
  }
}
