// Copyright 2026 the iox authors. MIT license.
// What companions need from this folder's classes beyond their public API,
// filled in by each class from a static block, where its #private fields
// are in scope, so that none of it is on the public surface. Companions call
// these only at method time, when the class's file has necessarily been
// evaluated (an instance exists), so module load order cannot break them.
// - watch.ts needs the Channel under a Connection (see _channel.ts).
// - NetListener builds its connections on the runtime's transport directly:
//   it needs to learn when each is closed, and to give it the client's
//   address and first bytes read with a PROXY protocol header.
// - ListenerPool's workers need a NetListener that binds its TCP sockets
//   with SO_REUSEPORT, so that every worker listens on the same port; it is
//   only safe once the runtime allows it (see ../_runtime/reuse_port.ts).
import type { Connection, ConnectionOptions } from "./connection.ts";
import type { ConnectionTransport } from "./transport.ts";
import type { ProxiedStart } from "./_proxy_protocol.ts";
import type { Channel } from "./_channel.ts";
import type { NetListener } from "./listener.ts";

/** The internal operations of Connection. */
export interface ConnectionInternals {
  /** The channel under `conn`. */
  channel(conn: Connection): Channel;
  /**
   * A connection a listener accepted, as `new Connection(transport,
   * options)` with these differences: with `start` (what a PROXY protocol
   * header gave), its `remoteAddr`, if not null, replaces the transport's
   * and its `rest`, if not null, are the first bytes read; `onClose`, if
   * not null, runs once, after the transport was closed.
   */
  accept(
    transport: ConnectionTransport,
    options: ConnectionOptions,
    start: ProxiedStart | undefined,
    onClose: (() => void) | null,
  ): Connection;
}

/** The internal operations of NetListener. */
export interface NetListenerInternals {
  /** Makes every TCP socket `listener` binds from now on set SO_REUSEPORT. */
  shareTcpPorts(listener: NetListener): void;
}

function notLoaded(file: string): () => never {
  return () => {
    throw new Error(`iox: ${file} has not been loaded`);
  };
}

/** Set by connection.ts when it loads. */
export const internals: ConnectionInternals = {
  channel: notLoaded("connection.ts"),
  accept: notLoaded("connection.ts"),
};

/** Set by listener.ts when it loads. */
export const listenerInternals: NetListenerInternals = {
  shareTcpPorts: notLoaded("listener.ts"),
};
