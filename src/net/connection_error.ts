import { messageOf } from "../_util/validate.ts";
// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode ConnectionError}: how a failed read or write on a
 * {@linkcode Connection} reports itself, the same on Deno and on Bun.
 *
 * @module
 */

/**
 * The `code` of a {@linkcode ConnectionError}, with POSIX's names:
 * - `"ECONNRESET"`: the peer reset the connection (a read or a write).
 * - `"EPIPE"`: a write to a connection that can no longer send: closed
 *   locally, its sending side shut down, or the peer gone.
 * - `"ECONNABORTED"`: the connection was aborted on this side.
 * - `"ETIMEDOUT"`: the system gave up on an unresponsive peer.
 * - `"EPROTO"`: a TLS handshake failed.
 * - `"EIO"`: any other failure; `cause` says what.
 */
export type ConnectionErrorCode =
  | "ECONNRESET"
  | "EPIPE"
  | "ECONNABORTED"
  | "ETIMEDOUT"
  | "EPROTO"
  | "EIO";

/** Options for {@linkcode ConnectionError}. */
export interface ConnectionErrorOptions {
  /**
   * The runtime's own error, when there is one.
   *
   * @default {undefined}
   */
  cause?: unknown;
}

/**
 * A failed read, write or handshake on a connection: one class with a
 * `code` on both runtimes, where Deno has its own classes
 * (`Deno.errors.ConnectionReset`, ...) and Bun plain `Error`s. The
 * runtime's error, if any, is the `cause`. An idle timeout is not one: it
 * is a `DOMException` named `"TimeoutError"`.
 *
 * @example Usage
 * ```ts
 * import { ConnectionError } from "@iox/iox/listener";
 * import assert from "node:assert/strict";
 *
 * const error = new ConnectionError("Cannot read as the peer reset the connection", "ECONNRESET");
 * assert.equal(error.name, "ConnectionError");
 * assert.equal(error.code, "ECONNRESET");
 * ```
 */
export class ConnectionError extends Error {
  /** What went wrong, by POSIX's name. */
  readonly code: ConnectionErrorCode;

  /**
   * Constructs a new instance.
   *
   * @param message What could not be done and why.
   * @param code What went wrong.
   * @param options The `cause`, if any.
   */
  constructor(
    message: string,
    code: ConnectionErrorCode,
    options?: ConnectionErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectionError";
    this.code = code;
  }
}

const CODES: ReadonlySet<string> = new Set<ConnectionErrorCode>([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPROTO",
  "EIO",
]);

/**
 * A runtime's socket error as a {@linkcode ConnectionError}: its own `code`
 * when it is one of {@linkcode ConnectionErrorCode}, else `fallback`.
 * Shared by the runtime adapters.
 *
 * @param error What the runtime rejected with.
 * @param action What failed, for the message ("read", "write").
 * @param fallback The code for an error without a known one.
 * @returns The error to give the caller.
 */
export function toConnectionError(
  error: unknown,
  action: string,
  fallback: ConnectionErrorCode = "EIO",
): ConnectionError {
  if (error instanceof ConnectionError) return error;
  const own = (error as { code?: unknown } | null)?.code;
  const code = typeof own === "string" && CODES.has(own)
    ? own as ConnectionErrorCode
    : fallback;
  const reason = messageOf(error);
  return new ConnectionError(`Cannot ${action}: ${code}: ${reason}`, code, {
    cause: error,
  });
}

/**
 * The error of a write to a connection that cannot send any more.
 *
 * @param why Why, e.g. "it is closed".
 * @returns The error.
 */
export function cannotWrite(why: string): ConnectionError {
  return new ConnectionError(
    `Cannot write to the connection as ${why}`,
    "EPIPE",
  );
}
