// Copyright 2026 the iox authors. MIT license.
// What watch.ts needs from a Connection beyond its public API: the Channel
// under it (see _channel.ts). Connection fills this in from a static block,
// where its #private fields are in scope, so the channel stays off the
// public surface. Companions call it only at method time, when
// connection.ts has necessarily been evaluated (a Connection exists), so
// module load order cannot break it.
import type { Connection } from "./connection.ts";
import type { Channel } from "./_channel.ts";

/** The internal operations of Connection. */
export interface ConnectionInternals {
  /** The channel under `conn`. */
  channel(conn: Connection): Channel;
}

function notLoaded(): never {
  throw new Error("iox: connection.ts has not been loaded");
}

/** Set by connection.ts when it loads. */
export const internals: ConnectionInternals = { channel: notLoaded };
