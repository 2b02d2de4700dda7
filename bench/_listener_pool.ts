// Copyright 2026 the iox authors. MIT license.
// The loads of bench/listener_pool_bench.ts and
// bench/listener_pool_rounds.ts, and the servers they compare.
//
// - CPU-bound: CPU_CLIENTS node:net clients connect at once to a
//   ListenerPool of bench/fixtures/cpu_handler.ts; each sends the number of
//   rounds of work that take about CPU_MS on this machine's main thread,
//   reads the answer, and closes. threads: 1 is the baseline of
//   threads: 2.
// - Echo: the load of bench/_echo.ts on a ListenerPool of
//   examples/echo_handler.ts on every core, and on one NetListener in this
//   thread (the baseline).
// The clients run on this thread, so they share the cores with the servers.
import { connect } from "node:net";
import { ListenerPool, NetListener } from "../src/listener.ts";
import { work } from "./fixtures/cpu_handler.ts";

export { CLIENTS as ECHO_CLIENTS, load as echoLoad } from "./_echo.ts";

/** Clients connecting at once in one CPU-bound load. */
export const CPU_CLIENTS = 64;
/** About how long (ms) one connection's work takes on one core. */
export const CPU_MS = 2;

/** The rounds of `work` that take about `ms` here, measured now. */
export function calibrate(ms: number): number {
  let rounds = 1000;
  for (;;) {
    const start = performance.now();
    work(rounds);
    const took = performance.now() - start;
    if (took > 20) return Math.round(rounds * ms / took);
    rounds *= 2;
  }
}

function ask(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect(port, "127.0.0.1");
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => answer += chunk);
    socket.on("error", reject);
    socket.on("close", () => {
      if (answer !== "") resolve();
      else reject(new Error("no answer"));
    });
    socket.end(text);
  });
}

/** One CPU-bound load on the server at `port`. */
export async function cpuLoad(port: number, rounds: number): Promise<void> {
  const asks: Promise<void>[] = [];
  for (let i = 0; i < CPU_CLIENTS; i++) asks.push(ask(port, String(rounds)));
  await Promise.all(asks);
}

/** A server of the comparison. */
export interface Server {
  /** What it is, as the benches name it. */
  name: string;
  /** Its port on 127.0.0.1. */
  port: number;
  /** Ends it. */
  close(): Promise<void>;
}

/** A ListenerPool of `module` with `threads` workers. */
export async function poolServer(
  module: URL,
  threads: number,
  name: string,
): Promise<Server> {
  const pool = new ListenerPool(module, { threads, name });
  const [addr] = await pool.open("127.0.0.1:0");
  if (addr?.transport !== "tcp") throw new Error("the pool did not listen");
  return { name, port: addr.port, close: () => pool.close() };
}

/** The CPU-bound servers: threads 1 (the baseline), then 2. */
export function cpuServers(): Promise<Server[]> {
  const module = new URL("./fixtures/cpu_handler.ts", import.meta.url);
  return Promise.all([
    poolServer(module, 1, "ListenerPool threads: 1"),
    poolServer(module, 2, "ListenerPool threads: 2"),
  ]);
}

/** The echo servers: one NetListener here (the baseline), a pool on every core. */
export async function echoServers(): Promise<Server[]> {
  const listener = new NetListener({ name: "bench" });
  const [addr] = await listener.open("127.0.0.1:0");
  if (addr?.transport !== "tcp") throw new Error("NetListener did not listen");
  listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));
  const threads = navigator.hardwareConcurrency;
  return [
    {
      name: "NetListener (1 thread)",
      port: addr.port,
      close: () => listener.disconnect(),
    },
    await poolServer(
      new URL("../examples/echo_handler.ts", import.meta.url),
      threads,
      `ListenerPool (${threads} threads)`,
    ),
  ];
}
