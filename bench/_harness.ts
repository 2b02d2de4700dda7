// Copyright 2026 the iox authors. MIT license.
// One way to declare a benchmark on both runtimes. Under Deno `bench` is
// `Deno.bench`; under Bun (which has no bench runner of its own with groups
// and baselines) it records the definition for tools/bench_bun.ts, which
// measures it and prints the same JSON shape as `deno bench --json`.
// A global `Deno` is deliberately not faked under Bun: the peers detect the
// runtime by looking for it.

/** What a benchmark is: the object form of `Deno.bench`. */
export interface BenchDefinition {
  /** Shown in reports. */
  name: string;
  /** Benchmarks of one group are compared with each other. */
  group?: string;
  /** The group's reference: the others are reported as ratios of it. */
  baseline?: boolean;
  /**
   * The measured work; `b.start()`/`b.end()` narrow what is timed. Declare
   * asynchronous work as an `async` function: Deno.bench awaits only those,
   * and times a plain function that returns a promise as synchronous.
   */
  fn: (b: BenchContext) => void | Promise<void>;
}

/** The part of `Deno.BenchContext` that both runners provide. */
export interface BenchContext {
  /** Starts the timed section. */
  start(): void;
  /** Ends the timed section. */
  end(): void;
}

/** Benchmarks declared so far under Bun, in declaration order. */
export const declared: BenchDefinition[] = [];

/**
 * Declares a benchmark on whichever runtime is running. `Deno.bench` awaits
 * only functions declared `async`, and would time a plain function that
 * returns a promise as if it finished at once: such a function is refused
 * with an error on its first run, on both runtimes, instead of measuring
 * nothing.
 */
export function bench(definition: BenchDefinition): void {
  const { fn } = definition;
  const checked = fn.constructor.name === "AsyncFunction"
    ? fn
    : (b: BenchContext): void => {
      const result = fn(b) as unknown;
      if (result instanceof Promise) {
        throw new TypeError(
          `Cannot run bench '${definition.name}' as it returns a promise from a function not declared async`,
        );
      }
    };
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno?.bench) deno.bench({ ...definition, fn: checked });
  else declared.push({ ...definition, fn: checked });
}
