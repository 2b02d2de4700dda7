// Copyright 2026 the iox authors. MIT license.
// The accept+echo comparison of bench/listener_bench.ts as interleaved
// rounds, whose ratios hold steadier on a busy machine than one long run
// per server:
//   deno run -A bench/listener_rounds.ts [rounds]
//   bun bench/listener_rounds.ts [rounds]
//
// Each round runs LOADS loads on each server in turn (the order reversed
// every other round, so no server always follows the same one) and times
// them together: connections per second, garbage collection included. A
// server's ratio in a round is the raw loop's time over its own (above 1:
// faster than the raw loop); printed are the median ratio over the rounds
// and its interquartile range, and the same against node:net.
import process from "node:process";
import { CLIENTS, load, PAYLOAD, startServers } from "./_echo.ts";

const LOADS = 80;
const WARMUP = 30;
const rounds = Number(process.argv[2] ?? 16);
if (!Number.isInteger(rounds) || rounds < 1) {
  throw new RangeError(
    `Cannot measure as 'rounds' must be a positive integer: current value is ${
      process.argv[2]
    }`,
  );
}

function quantile(values: number[], q: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

const servers = await startServers();
const totals: number[][] = servers.map(() => []);
for (const server of servers) {
  for (let i = 0; i < WARMUP; i++) await load(server.port);
}
for (let round = 0; round < rounds; round++) {
  const order = servers.map((_, index) => index);
  if (round % 2 === 1) order.reverse();
  for (const index of order) {
    const start = performance.now();
    for (let i = 0; i < LOADS; i++) await load(servers[index]!.port);
    totals[index]!.push(performance.now() - start);
  }
}

const runtime = "Bun" in globalThis
  ? `Bun ${process.versions.bun}`
  : `Deno ${Deno.version.deno}`;
console.log(
  `${runtime}: ${rounds} rounds of ${LOADS} loads of ${CLIENTS} clients x ${PAYLOAD} bytes`,
);
const nodeIndex = servers.length - 1;
for (const [index, server] of servers.entries()) {
  const vsRaw = totals[index]!.map((time, round) => totals[0]![round]! / time);
  const vsNode = totals[index]!.map((time, round) =>
    totals[nodeIndex]![round]! / time
  );
  const perConnection = quantile(totals[index]!, 0.5) * 1000 /
    (LOADS * CLIENTS);
  const range = (ratios: number[]) =>
    `${quantile(ratios, 0.5).toFixed(2)}x (${
      quantile(ratios, 0.25).toFixed(2)
    }–${quantile(ratios, 0.75).toFixed(2)})`;
  console.log(
    `${server.name.padEnd(22)} ${
      perConnection.toFixed(1).padStart(6)
    } µs/connection` +
      `  vs raw ${range(vsRaw)}  vs node:net ${range(vsNode)}`,
  );
}
for (const server of servers) server.close();
process.exit(0);
