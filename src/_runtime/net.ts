// Copyright 2026 the iox authors. MIT license.
// Sockets: the contract the listener needs from a runtime, and the adapter
// chosen for the one iox runs on (net_deno.ts, net_bun.ts). On another
// runtime every socket operation throws a clear error.

import type { Addr, ConnectionTransport } from "../net/transport.ts";
import type { TlsConfig } from "../net/_tls.ts";
import { denoNet } from "./net_deno.ts";
import { bunNet } from "./net_bun.ts";
import { runtime, unsupportedRuntime } from "./mod.ts";

/** One listening socket, pull-based: the listener accepts only on demand. */
export interface RawListener {
  /** Where it listens, with the real port. */
  readonly addr: Addr;
  /**
   * The next accepted connection, or `null` once {@linkcode close} was
   * called. Rejects for a failed accept on an open listener, and with a
   * `ConnectionError` (code `"EPROTO"`) for one connection whose TLS
   * handshake failed (that connection is closed; accepting goes on).
   */
  accept(): Promise<ConnectionTransport | null>;
  /** Stops listening (idempotent); a Unix socket's file is removed. */
  close(): void;
}

/**
 * Where to bind: one resolved IP address and port (with TLS, the accepted
 * connections have completed their handshake), or a Unix path. With
 * `reusePort`, a TCP socket sets SO_REUSEPORT, so that sockets of this user
 * may bind the same address and the kernel spreads connections across them
 * (under Deno only after {@linkcode reusePortUnavailable} returned null).
 */
export type BindAddr =
  | {
    transport: "tcp";
    hostname: string;
    port: number;
    tls?: TlsConfig;
    reusePort?: boolean;
  }
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
export const net: NetRuntime = runtime === "deno"
  ? denoNet
  : runtime === "bun"
  ? bunNet
  : {
    listen(): never {
      throw unsupportedRuntime("sockets");
    },
    adopt(): never {
      throw unsupportedRuntime("sockets");
    },
    adoptable: "nothing on this runtime",
  };

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
