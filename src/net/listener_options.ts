// Copyright 2026 the iox authors. MIT license.
// The options and counters of NetListener, and what a client handler is.

import type { Connection } from "./connection.ts";
import type { NetListener } from "./listener.ts";
import {
  argumentError,
  assertInteger,
  assertMs,
  notAFunction,
  optionsObject,
} from "../_util/validate.ts";

const CREATE = "Cannot create listener";

/**
 * Where a client handler can be run instead of on accept: anything with
 * asio's `post`, such as iox's `Executor` or `Strand`.
 */
export interface HandlerExecutor {
  /**
   * Queues `handler` to run later.
   *
   * @param handler The function to run.
   */
  post(handler: () => unknown): void;
}

/**
 * Receives each accepted connection. It owns the connection: close it when
 * done (or let `conn.readable.pipeTo(conn.writable)` finish).
 *
 * @param conn The accepted connection.
 * @param listener The listener that accepted it.
 * @returns Anything; a returned promise that rejects counts as a failure.
 */
export type ClientHandler = (
  conn: Connection,
  listener: NetListener,
) => unknown;

/** Options for {@linkcode NetListener}. */
export interface NetListenerOptions {
  /**
   * A name for messages and debugging, as QEMU's `qio_net_listener_set_name`.
   *
   * @default {"net-listener"}
   */
  name?: string;
  /**
   * The most connections accepted and not yet closed; past it, new
   * connections are closed at once and counted in `stats.rejected`.
   *
   * @default {Infinity}
   */
  maxConnections?: number;
  /**
   * Answers a connection refused by `maxConnections` before it is closed
   * (as Redis answers "-ERR max number of clients reached"): called with
   * the connection, which is closed once the call returns or the promise it
   * returns settles. It does not count in `stats.active`; a throw or
   * rejection goes to `onError`. Without it a refused connection is closed
   * at once; so is one refused while `maxConnections` others are still
   * being answered (with `proxyProtocol`, their headers are read first).
   *
   * @default {undefined}
   */
  onReject?: (conn: Connection) => unknown;
  /**
   * Every connection must start with a PROXY protocol header, version 1
   * (text) or 2 (binary), as HAProxy, nginx, Envoy and cloud load balancers
   * send it: `remoteAddr` is then the client the header names (a v2 LOCAL
   * or a v1 UNKNOWN header keeps the socket's own), and the connection's
   * bytes start after the header. A connection whose header is missing or
   * malformed, or not complete within {@linkcode PROXY_HEADER_TIMEOUT_MS},
   * is closed, counted in `stats.rejected` and reported to `onError`. Only
   * turn it on for addresses that nothing but the load balancer can reach:
   * the header is believed. TLS addresses are refused with it (the header
   * would come before the handshake): end TLS at the load balancer.
   *
   * @default {false}
   */
  proxyProtocol?: boolean;
  /**
   * When a Unix address's socket file exists, remove it if it is stale (a
   * connection to it is refused: the server that made it is gone) and
   * listen there; one that a process listens on is left alone and `open()`
   * fails with `EADDRINUSE`, as without this option.
   *
   * @default {false}
   */
  removeStaleSocket?: boolean;
  /**
   * Closes an accepted connection once nothing was read or written on it
   * for this many milliseconds: see `ConnectionOptions.idleTimeoutMs`.
   *
   * @default {Infinity}
   */
  idleTimeoutMs?: number;
  /**
   * Receives what goes wrong without a caller to reject: a client handler
   * or `onReject` that throws or rejects, an `onDispose` that throws, a
   * failed accept, a connection refused for its PROXY protocol header.
   *
   * @default {(error) => console.error(error)}
   */
  onError?: (error: unknown) => void;
}

/** Options for {@linkcode NetListener.setClientHandler}. */
export interface ClientHandlerOptions {
  /**
   * Post each call of the handler (and `onDispose`) to this executor
   * instead of calling it on accept.
   *
   * @default {undefined}
   */
  executor?: HandlerExecutor;
  /**
   * Called exactly once after this handler was replaced or cleared and can
   * no longer be called.
   *
   * @default {undefined}
   */
  onDispose?: () => void;
}

/** Options for {@linkcode NetListener.shutdown}. */
export interface ShutdownOptions {
  /**
   * How long accepted connections may take to finish, in milliseconds;
   * those still open then are closed. 0 closes them at once; `Infinity`
   * waits as long as they take.
   *
   * @default {30000}
   */
  timeoutMs?: number;
}

/** Options for {@linkcode NetListener.waitClient}. */
export interface WaitClientOptions {
  /**
   * Stops waiting: the call rejects with the signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Counters of a {@linkcode NetListener}. */
export interface NetListenerStats {
  /** Connections accepted and handed out or queued. */
  accepted: number;
  /**
   * Connections refused: past `maxConnections`, or (with `proxyProtocol`)
   * without a valid PROXY protocol header in time.
   */
  rejected: number;
  /**
   * Accepted connections not yet closed, those whose PROXY protocol header
   * is still being read included.
   */
  active: number;
  /**
   * Client handlers (and `onReject` calls) that threw or rejected, or could
   * not be posted to their executor.
   */
  errors: number;
}

/**
 * Checks the constructor's options and fills in the defaults.
 *
 * @param options What the caller gave.
 * @returns Every option, checked.
 */
export function checkListenerOptions(options: NetListenerOptions | undefined): {
  name: string;
  maxConnections: number;
  onReject: ((conn: Connection) => unknown) | undefined;
  proxyProtocol: boolean;
  removeStaleSocket: boolean;
  idleTimeoutMs: number;
  onError: (error: unknown) => void;
} {
  const {
    name = "net-listener",
    maxConnections = Infinity,
    onReject,
    proxyProtocol = false,
    removeStaleSocket = false,
    idleTimeoutMs = Infinity,
    onError,
  } = optionsObject(options, "create listener");
  assertMs(idleTimeoutMs, `${CREATE} as 'idleTimeoutMs'`, false);
  if (typeof name !== "string") {
    throw argumentError(`${CREATE} as 'name'`, "a string", name);
  }
  assertInteger(
    maxConnections,
    `${CREATE} as 'maxConnections'`,
    1,
    Infinity,
    true,
  );
  if (onReject !== undefined && typeof onReject !== "function") {
    throw notAFunction(`${CREATE} as 'onReject'`, onReject);
  }
  for (
    const [option, value] of [["proxyProtocol", proxyProtocol], [
      "removeStaleSocket",
      removeStaleSocket,
    ]] as const
  ) {
    if (typeof value !== "boolean") {
      throw argumentError(`${CREATE} as '${option}'`, "a boolean", value);
    }
  }
  if (onError !== undefined && typeof onError !== "function") {
    throw notAFunction(`${CREATE} as 'onError'`, onError);
  }
  return {
    name,
    maxConnections,
    onReject,
    proxyProtocol,
    removeStaleSocket,
    idleTimeoutMs,
    onError: onError ??
      ((error) => console.error(`NetListener '${name}':`, error)),
  };
}
