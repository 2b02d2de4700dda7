// Copyright 2026 the iox authors. MIT license.
// Statistics over the per-round measurements of the *_rounds.ts benches.

/** The `q` quantile (0..1) of `values`, interpolated between neighbours. */
export function quantile(values: number[], q: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}
