// Copyright 2026 the iox authors. MIT license.
// The connections a listener accepted and that are not closed yet: what
// `maxConnections` bounds and `stats.active` counts, what `shutdown()` waits
// for and, at its deadline, closes. A connection counts from its accept (a
// PROXY protocol header still being read included) until its socket is
// released.

import type { Addr, Connection, ConnectionTransport } from "./connection.ts";

/**
 * Gives `wrapper` the optional socket options and TLS protocol `inner` has,
 * and only those: a wrapper has each optional member of
 * `ConnectionTransport` exactly when the transport it wraps has it.
 *
 * @param wrapper The wrapping transport.
 * @param inner The transport it wraps.
 */
export function forwardExtras(
  wrapper: ConnectionTransport,
  inner: ConnectionTransport,
): void {
  if (inner.setNoDelay) wrapper.setNoDelay = inner.setNoDelay.bind(inner);
  if (inner.setKeepAlive) {
    wrapper.setKeepAlive = inner.setKeepAlive.bind(inner);
  }
  if (inner.alpnProtocol !== undefined) {
    Object.defineProperty(wrapper, "alpnProtocol", {
      get: () => inner.alpnProtocol,
    });
  }
}

/** An accepted socket's transport, counted until it is closed. */
export class CountedTransport implements ConnectionTransport {
  readonly localAddr: Addr;
  readonly remoteAddr: Addr;
  readInto?: (buffer: Uint8Array) => Promise<number | null>;
  setNoDelay?: (on: boolean) => void;
  setKeepAlive?: (on: boolean) => void;
  /**
   * The connection built on it once it was handed out: closing that (rather
   * than the transport under it) also ends its streams and watches.
   */
  conn: Connection | null = null;
  #inner: ConnectionTransport;
  #release: (transport: CountedTransport) => void;
  #closed = false;

  constructor(
    inner: ConnectionTransport,
    release: (transport: CountedTransport) => void,
  ) {
    this.#inner = inner;
    this.#release = release;
    this.localAddr = inner.localAddr;
    this.remoteAddr = inner.remoteAddr;
    if (inner.readInto) this.readInto = inner.readInto.bind(inner);
    forwardExtras(this, inner);
  }

  /** True once closed, by whoever closed it. */
  get closed(): boolean {
    return this.#closed;
  }

  read(): Promise<Uint8Array | null> {
    return this.#inner.read();
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.#inner.write(chunk);
  }

  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }

  // Idempotent: a shutdown may close a transport whose owner closes it too.
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inner.close();
    this.#release(this);
  }
}

/** The open accepted connections of one listener. */
export class AcceptedSet {
  #open = new Set<CountedTransport>();
  #empty: PromiseWithResolvers<void> | null = null;
  #release = (transport: CountedTransport): void => {
    this.#open.delete(transport);
    if (this.#open.size === 0 && this.#empty !== null) {
      this.#empty.resolve();
      this.#empty = null;
    }
  };

  /** How many are open. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Counts a newly accepted socket.
   *
   * @param transport The runtime's transport.
   * @returns The transport to build on, counted until it is closed.
   */
  add(transport: ConnectionTransport): CountedTransport {
    const counted = new CountedTransport(transport, this.#release);
    this.#open.add(counted);
    return counted;
  }

  /**
   * Closes every open one: through its connection if it has one.
   *
   * @param unclaimed Only those not handed out yet (a header still being
   * read).
   */
  close(unclaimed = false): void {
    for (const transport of [...this.#open]) {
      if (transport.conn !== null) {
        if (!unclaimed) transport.conn.close();
      } else {
        transport.close();
      }
    }
  }

  /**
   * Resolves once none is open.
   *
   * @returns A promise.
   */
  empty(): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    return (this.#empty ??= Promise.withResolvers()).promise;
  }
}
