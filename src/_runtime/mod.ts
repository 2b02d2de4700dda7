// Copyright 2026 the iox authors. MIT license.
// The one place that knows which runtime iox is running on. Everything
// runtime-specific lives in this folder, chosen once at load time; the rest
// of the library is web-standard.

import type { Addr, ConnectionTransport } from "../connection.ts";
import { denoNet } from "./deno.ts";
import { bunNet } from "./bun.ts";

/** The runtimes iox supports. */
export type RuntimeName = "deno" | "bun";

/** The runtime this module was loaded in, detected once. */
export const runtimeName: RuntimeName = "Bun" in globalThis ? "bun" : "deno";

/** One listening socket, pull-based: the listener accepts only on demand. */
export interface RawListener {
  /** Where it listens, with the real port. */
  readonly addr: Addr;
  /**
   * The next accepted connection, or `null` once {@linkcode close} was
   * called. Rejects only for a failed accept on an open listener.
   */
  accept(): Promise<ConnectionTransport | null>;
  /** Stops listening (idempotent); a Unix socket's file is removed. */
  close(): void;
}

/** Where to bind: one resolved IP address and port, or a Unix path. */
export type BindAddr =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** What the listener needs from the runtime. */
export interface NetRuntime {
  /** Binds synchronously; throws the runtime's error (with `code`). */
  listen(addr: BindAddr): RawListener;
  /** Wraps a listener created by the runtime's own API, or returns null. */
  adopt(listener: object): RawListener | null;
  /** The name of what {@linkcode NetRuntime.adopt} accepts, for messages. */
  readonly adoptable: string;
}

/** The network layer of the runtime this module was loaded in. */
export const net: NetRuntime = runtimeName === "bun" ? bunNet : denoNet;

/** How the listener resolves a hostname; tests substitute `resolveHost`. */
export interface HostResolver {
  /**
   * Every address `hostname` resolves to (through the system resolver, which
   * reads /etc/hosts), without duplicates, in the resolver's order.
   */
  resolveHost(hostname: string): Promise<string[]>;
}

/** The resolver the listener uses: the system's. */
export const resolver: HostResolver = {
  async resolveHost(hostname: string): Promise<string[]> {
    const { lookup } = await import("node:dns/promises");
    const found = await lookup(hostname, { all: true, verbatim: true });
    return [...new Set(found.map((entry) => entry.address))];
  },
};

/** The current working directory of the process. */
export function cwd(): string {
  const g = globalThis as unknown as {
    Deno?: { cwd(): string };
    process?: { cwd(): string };
  };
  return g.Deno ? g.Deno.cwd() : g.process!.cwd();
}

// Under Deno a `setImmediate` turn runs due timers but seldom lets sockets
// through: Deno's scheduler polls them only when it has nothing else to run,
// or once every 61 turns, so while a run kept busy each socket event waited
// about 60 ms (a loopback round trip took 125 ms). Every 16th turn waits for
// a timer instead, which lets the scheduler go idle and poll them: a round
// trip then takes at most ~17 ms, for ~2 ms of idling per 16 turns.
const TIMER_TURN_EVERY = runtimeName === "deno" ? 16 : 0;
let turns = 0;

/**
 * Resolves once the runtime's event loop has had a turn, so that due timers
 * and I/O callbacks run. `setImmediate` (a global in Deno 2 and Bun) was
 * measured at ~10 µs (Deno) and ~4 µs (Bun) per turn, and lets timers and
 * I/O through (under Deno, I/O only with a timer's turn now and then, see
 * TIMER_TURN_EVERY); chained `setTimeout(0)` is clamped to ~2 ms (Deno) and
 * ~1 ms (Bun), and a `MessageChannel` turn is slower on Deno and starves
 * timers for longer on Bun.
 */
export function yieldToEventLoop(): Promise<void> {
  if (TIMER_TURN_EVERY !== 0 && ++turns === TIMER_TURN_EVERY) {
    turns = 0;
    return new Promise((resolve) => setTimeout(resolve, 0));
  }
  return new Promise((resolve) => setImmediate(resolve));
}
