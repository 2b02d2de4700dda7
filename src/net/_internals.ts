// Copyright 2026 the iox authors. MIT license.
// What watch.ts and the stream classes of _streams.ts need from a
// Connection beyond its public API: observing its readiness, and the
// bookkeeping that lets `readable.pipeTo(writable)` between connections
// skip the streams. Connection fills this in from a static block, where its
// #private fields are in scope, so these operations stay off the public
// surface. Companions call them only at method time, when connection.ts
// has necessarily been evaluated (a Connection exists), so module load
// order cannot break them.
import type { Connection } from "./connection.ts";

// The same bit values as GLib's GIOCondition; watch.ts exports them.
/** Readable: a read settles at once (data, end of stream or failure). */
export const IN = 1;
/** Writable: a write would be taken at once. */
export const OUT = 4;
/** The connection failed. */
export const ERR = 8;
/** The peer hung up: the end of the stream was reached. */
export const HUP = 16;

/** What watch.ts sees of a connection. */
export interface Observation {
  /** The `IOCondition` bits that hold now. */
  readonly conditions: number;
  /** True once the connection was closed locally. */
  readonly closed: boolean;
  /** Reads one chunk ahead (if none is buffered), so `IN` can be seen. */
  readAhead(): void;
  /** Stops observing. */
  cancel(): void;
}

/** The internal operations of Connection. */
export interface ConnectionInternals {
  /** Observes `conn`; `onChange` is called after every change. */
  observe(conn: Connection, onChange: () => void): Observation;
  /**
   * Marks one direction's stream used (`out`: the writable), releasing what
   * a finished direct pipe left locked; throws while a direct pipe holds it.
   */
  use(conn: Connection, out: boolean, action: string): void;
  /** Releases what a finished direct pipe left locked. */
  release(conn: Connection, out: boolean): void;
  /**
   * pipeTo between two connections: a direct pipe when it may bypass the
   * streams, or null for the standard one.
   */
  pipeTo(
    from: Connection,
    to: Connection,
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    options: StreamPipeOptions | undefined,
  ): Promise<void> | null;
}

function notLoaded(): never {
  throw new Error("iox: connection.ts has not been loaded");
}

/** Set by connection.ts when it loads. */
export const internals: ConnectionInternals = {
  observe: notLoaded,
  use: notLoaded,
  release: notLoaded,
  pipeTo: notLoaded,
};
