// Copyright 2026 the iox authors. MIT license.
// A fixed-size histogram of durations for a pool's `stats.waitTime` and
// `stats.runTime`: memory stays the same however many tasks are recorded.
// Buckets are log-linear over whole microseconds, as HdrHistogram's: exact
// below 64 µs, then 32 buckets per power of two, so a percentile is within
// about 3% of the true value. Mean and max are exact.

const LINEAR = 64;
const PER_OCTAVE = 32;
// The first octave past the linear part starts at 2^6 µs; the last bucket
// holds everything from 2^46 µs (about 2.2 years) up.
const FIRST_EXP = 6;
const OCTAVES = 40;
const BUCKETS = LINEAR + OCTAVES * PER_OCTAVE;

/** A summary of recorded durations, in milliseconds. */
export interface DurationStats {
  /** How many durations were recorded. */
  count: number;
  /** Their mean. */
  mean: number;
  /** The median. */
  p50: number;
  /** The 90th percentile. */
  p90: number;
  /** The 99th percentile. */
  p99: number;
  /** The longest. */
  max: number;
}

function bucketOf(us: number): number {
  if (us < LINEAR) return us;
  if (us < 2 ** 31) {
    // Integer arithmetic: this runs twice per task.
    const exp = 31 - Math.clz32(us);
    return LINEAR + (exp - FIRST_EXP) * PER_OCTAVE + (us >>> (exp - 5)) -
      PER_OCTAVE;
  }
  const exp = Math.floor(Math.log2(us));
  const index = LINEAR + (exp - FIRST_EXP) * PER_OCTAVE +
    Math.floor(us / 2 ** (exp - 5)) - PER_OCTAVE;
  return Math.min(index, BUCKETS - 1);
}

// The middle of a bucket, in µs.
function valueOf(bucket: number): number {
  if (bucket < LINEAR) return bucket;
  const octave = Math.floor((bucket - LINEAR) / PER_OCTAVE);
  const mantissa = (bucket - LINEAR) % PER_OCTAVE + PER_OCTAVE;
  return (mantissa + 0.5) * 2 ** (octave + FIRST_EXP - 5);
}

/** Durations recorded in fixed memory (about 10 KiB). */
export class Histogram {
  #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #max = 0;

  /** Records one duration in ms (negative counts as 0). */
  record(ms: number): void {
    const value = ms > 0 ? ms : 0;
    // `| 0` is Math.floor for what fits in 31 bits, and much cheaper.
    const us = value * 1000;
    this.#counts[bucketOf(us < 2 ** 31 ? us | 0 : Math.floor(us))]!++;
    this.#count++;
    this.#sum += value;
    if (value > this.#max) this.#max = value;
  }

  /** The count, mean, median, 90th and 99th percentiles and max, in ms. */
  summary(): DurationStats {
    const count = this.#count;
    if (count === 0) return { count, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
    return {
      count,
      mean: this.#sum / count,
      p50: this.#percentile(0.5),
      p90: this.#percentile(0.9),
      p99: this.#percentile(0.99),
      max: this.#max,
    };
  }

  #percentile(p: number): number {
    const rank = Math.ceil(p * this.#count);
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.#counts[bucket]!;
      if (seen >= rank) return Math.min(valueOf(bucket) / 1000, this.#max);
    }
    return this.#max;
  }
}
