// Copyright 2026 the iox authors. MIT license.
// The comparisons of bench/listener_bench.ts as interleaved rounds, whose
// ratios hold steadier on a busy machine than one long run per server:
//   deno run -A bench/listener_rounds.ts [rounds] [echo|tls|watch]
//   bun bench/listener_rounds.ts [rounds] [echo|tls|watch]
//
// Modes (default "echo"):
// - echo: accept+echo of bench/_echo.ts (16 concurrent node:net clients,
//   100 bytes each): the raw runtime loops, NetListener with pipeTo and
//   with read/write, node:net createServer.
// - tls: the same over TLS (bench/_tls_echo.ts), handshake included,
//   NetListener against node:tls createServer.
// - watch: one-byte ping-pong (bench/_ping_pong.ts), a reader loop against
//   a watch callback.
//
// Each round runs LOADS loads on each server in turn (the order reversed
// every other round, so no server always follows the same one) and times
// them together, garbage collection included. A server's ratio in a round
// is the first server's time over its own (above 1: faster than it), and
// the same against the last server; printed are the median ratios over
// the rounds and their interquartile ranges.
import process from "node:process";
import { CLIENTS, load, PAYLOAD, startServers } from "./_echo.ts";
import type { EchoServer } from "./_echo.ts";
import { startTlsServers, tlsLoad } from "./_tls_echo.ts";
import { pingLoad, PINGS, startPingServers } from "./_ping_pong.ts";
import { countArg, quantile } from "./_stats.ts";

interface Mode {
  what: string;
  loads: number;
  start(): Promise<EchoServer[]>;
  load(port: number): Promise<void>;
}

const MODES: Record<string, Mode> = {
  echo: {
    what: `loads of ${CLIENTS} clients x ${PAYLOAD} bytes`,
    loads: 80,
    start: startServers,
    load,
  },
  tls: {
    what: `TLS loads of ${CLIENTS} clients x ${PAYLOAD} bytes`,
    loads: 10,
    start: startTlsServers,
    load: tlsLoad,
  },
  watch: {
    what: `loads of ${PINGS} one-byte round trips`,
    loads: 10,
    start: startPingServers,
    load: pingLoad,
  },
};

const WARMUP_ROUNDS = 2;
const rounds = countArg(0, "rounds", 16);
const modeName = process.argv[3] ?? "echo";
const mode = MODES[modeName];
if (mode === undefined) {
  throw new TypeError(
    `Cannot measure as 'mode' must be one of ${
      Object.keys(MODES).join(", ")
    }: current value is ${modeName}`,
  );
}

const servers = await mode.start();
const totals: number[][] = servers.map(() => []);
for (let round = -WARMUP_ROUNDS; round < rounds; round++) {
  const order = servers.map((_, index) => index);
  if (round % 2 !== 0) order.reverse();
  for (const index of order) {
    const start = performance.now();
    for (let i = 0; i < mode.loads; i++) await mode.load(servers[index]!.port);
    if (round >= 0) totals[index]!.push(performance.now() - start);
  }
}

const runtime = "Bun" in globalThis
  ? `Bun ${process.versions.bun}`
  : `Deno ${Deno.version.deno}`;
console.log(`${runtime}: ${rounds} rounds of ${mode.loads} ${mode.what}`);
const first = servers[0]!.name;
const last = servers.at(-1)!.name;
for (const [index, server] of servers.entries()) {
  const vs = (other: number) =>
    totals[index]!.map((time, round) => totals[other]![round]! / time);
  const perLoad = quantile(totals[index]!, 0.5) * 1000 / mode.loads;
  const range = (ratios: number[]) =>
    `${quantile(ratios, 0.5).toFixed(2)}x (${
      quantile(ratios, 0.25).toFixed(2)
    }–${quantile(ratios, 0.75).toFixed(2)})`;
  console.log(
    `${server.name.padEnd(26)} ${perLoad.toFixed(0).padStart(7)} µs/load` +
      `  vs ${first} ${range(vs(0))}  vs ${last} ${
        range(vs(servers.length - 1))
      }`,
  );
}
for (const server of servers) server.close();
process.exit(0);
