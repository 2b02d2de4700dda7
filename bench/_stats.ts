// Copyright 2026 the iox authors. MIT license.
// What the *_rounds.ts benches share: their numeric arguments and the
// statistics over their per-round measurements.

import process from "node:process";
import { assertInteger } from "../src/_util/validate.ts";

/**
 * The positive integer given as command-line argument `index` (after the
 * script), or `fallback` without one.
 */
export function countArg(
  index: number,
  name: string,
  fallback: number,
): number {
  const value = Number(process.argv[2 + index] ?? fallback);
  assertInteger(value, `Cannot measure as '${name}'`, 1);
  return value;
}

/** The `q` quantile (0..1) of `values`, interpolated between neighbours. */
export function quantile(values: number[], q: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}
