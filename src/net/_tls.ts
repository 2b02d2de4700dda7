// Copyright 2026 the iox authors. MIT license.
// The `tls` member of a listen address: checked before any socket is
// opened, so that a missing certificate is a TypeError naming the address.
// Whether the PEM text can be read is for the runtime to say when it
// listens; `open()` then rejects naming the address, as for any failed bind.

import { argumentError, assertMs } from "../_util/validate.ts";

/**
 * How long a TLS client has to complete its handshake by default, in ms:
 * one that connects and stays silent (or too slow) is closed then, so that
 * it cannot hold a socket forever.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** TLS for a TCP listen address: the server's certificate and key. */
export interface TlsListenOptions {
  /** The certificate chain, PEM text. */
  cert: string;
  /** The private key, PEM text. */
  key: string;
  /**
   * The protocols offered to ALPN, most preferred first; the one chosen is
   * `Connection.alpnProtocol`.
   *
   * @default {undefined}
   */
  alpnProtocols?: string[];
  /**
   * How long a client has to complete its handshake; past it the
   * connection is closed and `onError` gets a `ConnectionError` with code
   * `"ETIMEDOUT"`.
   *
   * @default {TLS_HANDSHAKE_TIMEOUT_MS}
   */
  handshakeTimeoutMs?: number;
}

/** {@linkcode TlsListenOptions} as checked: every member present. */
export interface TlsConfig {
  /** The certificate chain, PEM text. */
  cert: string;
  /** The private key, PEM text. */
  key: string;
  /** The protocols offered to ALPN, if any. */
  alpnProtocols?: string[];
  /** How long a handshake may take. */
  handshakeTimeoutMs: number;
}

/**
 * Checks an address's `tls` member.
 *
 * @param tls The value given.
 * @param where The address, for messages ("on '127.0.0.1:0'").
 * @returns A copy with only the known members, the defaults filled in.
 * @throws {TypeError} If it is not an object with non-empty `cert` and
 * `key` strings and, if given, `alpnProtocols` an array of non-empty strings
 * and `handshakeTimeoutMs` a number.
 * @throws {RangeError} If `handshakeTimeoutMs` is not positive.
 */
export function checkTls(tls: unknown, where: string): TlsConfig {
  if (typeof tls !== "object" || tls === null) {
    throw argumentError(
      `Cannot open listener${where} as 'tls'`,
      "an object with 'cert' and 'key'",
      tls,
    );
  }
  const {
    cert,
    key,
    alpnProtocols,
    handshakeTimeoutMs = TLS_HANDSHAKE_TIMEOUT_MS,
  } = tls as Record<string, unknown>;
  for (const [name, value] of [["cert", cert], ["key", key]] as const) {
    if (typeof value !== "string" || value.trim() === "") {
      throw argumentError(
        `Cannot open listener${where} as 'tls.${name}'`,
        "PEM text",
        value,
      );
    }
  }
  assertMs(
    handshakeTimeoutMs,
    `Cannot open listener${where} as 'tls.handshakeTimeoutMs'`,
    false,
  );
  const checked: TlsConfig = {
    cert: cert as string,
    key: key as string,
    handshakeTimeoutMs,
  };
  if (alpnProtocols === undefined) return checked;
  if (
    !Array.isArray(alpnProtocols) || alpnProtocols.length === 0 ||
    !alpnProtocols.every((name) =>
      typeof name === "string" && name !== "" && name.length < 256
    )
  ) {
    throw argumentError(
      `Cannot open listener${where} as 'tls.alpnProtocols'`,
      "a non-empty array of protocol names",
      alpnProtocols,
    );
  }
  checked.alpnProtocols = [...alpnProtocols];
  return checked;
}

/**
 * ALPN protocol names in the wire format (each prefixed by its length), as
 * Bun takes them.
 *
 * @param names The protocol names.
 * @returns The encoded list.
 */
export function alpnWireFormat(names: string[]): Uint8Array {
  const encoded = names.map((name) => new TextEncoder().encode(name));
  const wire = new Uint8Array(
    encoded.reduce((total, name) => total + 1 + name.length, 0),
  );
  let at = 0;
  for (const name of encoded) {
    wire[at++] = name.length;
    wire.set(name, at);
    at += name.length;
  }
  return wire;
}
