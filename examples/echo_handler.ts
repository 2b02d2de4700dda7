// Copyright 2026 the iox authors. MIT license.
/**
 * The client handler of examples/echo_all_cores.ts: every worker of the
 * ListenerPool loads this module and calls its default export for each
 * connection it accepts.
 *
 * @module
 */
import type { Connection } from "../src/listener.ts";

/** Sends back everything the client sends, until it half-closes. */
export default function echo(conn: Connection): Promise<void> {
  return conn.readable.pipeTo(conn.writable);
}
