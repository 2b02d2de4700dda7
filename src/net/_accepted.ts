// Copyright 2026 the iox authors. MIT license.
// The connections a listener accepted and that are not closed yet: what
// `maxConnections` bounds and `stats.active` counts, what `shutdown()` waits
// for and, at its deadline, closes. A connection counts from its accept (a
// PROXY protocol header still being read included) until its socket is
// released. Its Connection is built on the runtime's transport itself: the
// count learns of the close from the Connection (see _internals.ts), so
// nothing stands between the two on the data path.

import type { ProxiedStart } from "./_proxy_protocol.ts";
import {
  Connection,
  type ConnectionOptions,
  type ConnectionTransport,
} from "./connection.ts";
import { internals } from "./_internals.ts";

/** The open accepted connections of one listener. */
export class AcceptedSet {
  // A socket is here as its transport until its Connection is made (while
  // its PROXY protocol header is read), then as that Connection.
  #open = new Set<Connection | ConnectionTransport>();
  #empty: PromiseWithResolvers<void> | null = null;

  /** How many are open. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Counts an accepted socket whose connection is not made yet.
   *
   * @param transport The runtime's transport.
   */
  hold(transport: ConnectionTransport): void {
    this.#open.add(transport);
  }

  /**
   * Whether `transport` is still held: false once
   * {@linkcode AcceptedSet.close} or {@linkcode AcceptedSet.drop} closed
   * it, or its connection was made.
   *
   * @param transport A transport given to {@linkcode AcceptedSet.hold}.
   * @returns True while it is held.
   */
  holds(transport: ConnectionTransport): boolean {
    return this.#open.has(transport);
  }

  /**
   * Makes the connection of an accepted socket, counted until it is closed,
   * by whoever closes it.
   *
   * @param transport The runtime's transport, held if `start` is given.
   * @param options The connection's options.
   * @param start What the held socket's PROXY protocol header gave: the
   * client's address (null: the socket's) and the bytes after the header.
   * @returns The connection.
   */
  connect(
    transport: ConnectionTransport,
    options: ConnectionOptions,
    start?: ProxiedStart,
  ): Connection {
    if (start !== undefined) this.#open.delete(transport);
    const conn = internals.accept(
      transport,
      options,
      start,
      () => this.#release(conn),
    );
    this.#open.add(conn);
    return conn;
  }

  /**
   * Closes a held socket and stops counting it; nothing if it is not held.
   *
   * @param transport A transport given to {@linkcode AcceptedSet.hold}.
   */
  drop(transport: ConnectionTransport): void {
    if (this.#open.has(transport)) {
      transport.close();
      this.#release(transport);
    }
  }

  /**
   * Closes every open one.
   *
   * @param unclaimed Only those whose connection is not made yet (a header
   * still being read).
   */
  close(unclaimed = false): void {
    for (const open of [...this.#open]) {
      if (!(open instanceof Connection)) this.drop(open);
      else if (!unclaimed) open.close();
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

  #release(open: Connection | ConnectionTransport): void {
    this.#open.delete(open);
    if (this.#open.size === 0 && this.#empty !== null) {
      this.#empty.resolve();
      this.#empty = null;
    }
  }
}
