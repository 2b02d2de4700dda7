// Copyright 2026 the iox authors. MIT license.
// A fresh Executor given N distinct closures, against a raw array-of-closures
// drain of the same closures, as interleaved rounds in one process, whose
// ratios hold steadier on a busy machine than one long run per variant:
//   deno run -A bench/executor_rounds.ts [rounds] [n]
//   bun bench/executor_rounds.ts [rounds] [n]
//
// The cases of the "fresh executor" groups of bench/executor_bench.ts. After
// a warm-up, each round runs every variant once (in the orders of a
// balanced Latin square, see roundOrder) and a variant's ratio in a round is
// the raw loop's time over its own (above 1: faster than the raw loop); printed are the median ratio
// over the rounds with its interquartile range, and the ratio of the best
// rounds (fastest raw time over the variant's fastest). Closures are made
// inside the timed part for every variant, as a program makes them. Under
// Deno most of a round's time is garbage collection of the 100k closures,
// and it lands on whichever variant is running (run() and Strand give it
// a chance in their event-loop turns): the best-round ratio shows the
// queue's own cost (docs/executor.md, "A fresh executor").
import process from "node:process";
import { Executor, Strand } from "../src/executor.ts";
import { countArg, quantile } from "./_stats.ts";

const WARMUP = 5;
const rounds = countArg(0, "rounds", 15);
const n = countArg(1, "n", 100_000);

let counter = 0;

/** The measured variants; the first is the baseline. */
export const variants: { name: string; fn: () => void | Promise<void> }[] = [
  {
    name: "raw array-of-closures drain loop",
    fn() {
      const queue: (() => void)[] = [];
      for (let i = 0; i < n; i++) {
        queue.push(() => {
          counter += i;
        });
      }
      for (let i = 0; i < queue.length; i++) queue[i]!();
    },
  },
  {
    name: "new Executor, run()",
    async fn() {
      const io = new Executor();
      for (let i = 0; i < n; i++) {
        io.post(() => {
          counter += i;
        });
      }
      await io.run();
    },
  },
  {
    name: "new Executor, poll()",
    fn() {
      const io = new Executor();
      for (let i = 0; i < n; i++) {
        io.post(() => {
          counter += i;
        });
      }
      io.poll();
    },
  },
  {
    name: "new Strand on a new Executor",
    async fn() {
      const io = new Executor();
      const strand = new Strand(io);
      for (let i = 0; i < n; i++) {
        strand.post(() => {
          counter += i;
        });
      }
      await io.run();
    },
  },
];

/**
 * The order of the variants in a round: the rows of a Williams Latin square
 * (for an even count), so that every variant follows every other equally
 * often. What ran just before a variant changes its time a lot (its garbage,
 * the engine's state): with the order only reversed every other round, a
 * variant always followed the same two, and the median of 15 rounds fell on
 * whichever of them was slower.
 */
function roundOrder(round: number, count: number): number[] {
  // The first row is 0, 1, n-1, 2, n-2, ...; row r adds r to each (mod n).
  const row = Array.from(
    { length: count },
    (_, j) => j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : count - j / 2,
  );
  return row.map((index) => (index + round) % count);
}

const times: number[][] = variants.map(() => []);
for (let i = 0; i < WARMUP; i++) {
  for (const variant of variants) await variant.fn();
}
for (let round = 0; round < rounds; round++) {
  for (const index of roundOrder(round, variants.length)) {
    const start = performance.now();
    await variants[index]!.fn();
    times[index]!.push(performance.now() - start);
  }
}

const runtime = "Bun" in globalThis
  ? `Bun ${process.versions.bun}`
  : `Deno ${Deno.version.deno}`;
console.log(`${runtime}: ${rounds} rounds of ${n} distinct closures`);
const best = (index: number): number => Math.min(...times[index]!);
for (const [index, variant] of variants.entries()) {
  const ratios = times[index]!.map((time, round) => times[0]![round]! / time);
  console.log(
    `${variant.name.padEnd(34)} ${
      quantile(times[index]!, 0.5).toFixed(2).padStart(8)
    } ms  vs raw ${quantile(ratios, 0.5).toFixed(2)}x (${
      quantile(ratios, 0.25).toFixed(2)
    }–${quantile(ratios, 0.75).toFixed(2)})  best rounds ${
      (best(0) / best(index)).toFixed(2)
    }x`,
  );
}
if (counter === 0) throw new Error("nothing ran");
