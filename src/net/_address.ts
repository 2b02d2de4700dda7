// Copyright 2026 the iox authors. MIT license.
// Listen addresses: their public shapes, the parser that checks them before
// anything is opened, and the error that names an address that failed.

import type { BindAddr } from "../_runtime/net.ts";
import { argumentError, assertInteger, messageOf } from "../_util/validate.ts";
import { checkTls, type TlsListenOptions } from "./_tls.ts";

/** A TCP address to listen on. */
export interface TcpListenAddress {
  /**
   * `"tcp"`, or leave it out.
   *
   * @default {"tcp"}
   */
  transport?: "tcp";
  /**
   * An IP address or a name; a name listens on every address it resolves
   * to. IPv6 addresses may be written with or without brackets.
   *
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /** The port, 0 for one chosen by the system. */
  port: number;
  /**
   * Serve TLS on this address with this certificate and key: each
   * connection is handed out once its handshake completed; a failed or
   * timed-out handshake drops that connection and goes to `onError`.
   *
   * @default {undefined}
   */
  tls?: TlsListenOptions;
}

/** A Unix domain socket to listen on. */
export interface UnixListenAddress {
  /** Always `"unix"`. */
  transport: "unix";
  /**
   * The socket file to create; it must not exist (but see the listener's
   * `removeStaleSocket` option).
   */
  path: string;
}

/**
 * An address for {@linkcode NetListener.open}: an object, or a string
 * `"host:port"`, `"[ipv6]:port"` or `"unix:path"`.
 */
export type ListenAddress = string | TcpListenAddress | UnixListenAddress;

/**
 * One checked address: what to bind (a TCP hostname may still be a name to
 * resolve) and how messages name it (as the caller wrote it).
 */
export interface ListenSpec {
  label: string;
  bind: BindAddr;
}

const OPEN = "Cannot open listener";
const MAX_PORT = 65535;

// A host name of letters, digits, '-' and '_' in dot-separated labels, or
// an IPv6 literal (hex digits and colons, an embedded IPv4 part, a zone).
const HOST_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$/;
const DOTTED_QUAD = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * True for an IPv6 or dotted-quad IPv4 literal: no name lookup needed.
 *
 * @param hostname A checked hostname, without brackets.
 * @returns Whether it is an IP address.
 */
export function isIpLiteral(hostname: string): boolean {
  return hostname.includes(":") || DOTTED_QUAD.test(hostname);
}

/**
 * How messages write a TCP endpoint: IPv6 in brackets.
 *
 * @param hostname The host, without brackets.
 * @param port The port.
 * @returns `"host:port"` or `"[ipv6]:port"`.
 */
export function tcpLabel(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

function checkHostname(hostname: string, where: string): string {
  if (!HOST_NAME.test(hostname) && !IPV6.test(hostname)) {
    throw argumentError(
      `${OPEN}${where} as 'hostname'`,
      "a host name or an IP address",
      hostname,
    );
  }
  return hostname;
}

function checkPath(path: string): string {
  if (path.includes("\0")) {
    throw argumentError(
      `${OPEN} as 'path'`,
      "a path without a NUL character",
      path,
    );
  }
  return path;
}

function unix(path: string): ListenSpec {
  return {
    label: `unix:${path}`,
    bind: { transport: "unix", path: checkPath(path) },
  };
}

function parseString(address: string): ListenSpec {
  if (address.startsWith("unix:")) {
    const path = address.slice("unix:".length);
    if (path === "") {
      throw new TypeError(
        `${OPEN} as address 'unix:' must name a socket path`,
      );
    }
    return unix(path);
  }
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(address);
  const colon = address.lastIndexOf(":");
  const hostname = bracketed ? bracketed[1] : address.slice(0, colon);
  const port = bracketed ? bracketed[2] : address.slice(colon + 1);
  if (
    hostname === undefined || port === undefined || hostname === "" ||
    (bracketed ? !hostname.includes(":") : colon < 0 || hostname.includes(":"))
  ) {
    throw new TypeError(
      `${OPEN} as address '${address}' must be 'host:port', '[ipv6]:port' or 'unix:path'`,
    );
  }
  const where = ` on '${address}'`;
  checkHostname(hostname, where);
  const number = /^[-+]?\d+$/.test(port) ? Number(port) : port;
  assertInteger(number, `${OPEN}${where} as 'port'`, 0, MAX_PORT);
  return {
    label: address,
    bind: { transport: "tcp", hostname, port: number },
  };
}

function parseObject(address: Record<string, unknown>): ListenSpec {
  const { transport } = address;
  if (transport === "unix") {
    const { path } = address;
    if (typeof path !== "string" || path === "") {
      throw argumentError(`${OPEN} as 'path'`, "a non-empty string", path);
    }
    return unix(path);
  }
  if (transport !== undefined && transport !== "tcp") {
    throw argumentError(
      `${OPEN} as 'transport'`,
      '"tcp" or "unix"',
      transport,
    );
  }
  const { port } = address;
  assertInteger(port, `${OPEN} as 'port'`, 0, MAX_PORT);
  const given = address.hostname ?? "0.0.0.0";
  if (typeof given !== "string" || given === "") {
    throw argumentError(`${OPEN} as 'hostname'`, "a non-empty string", given);
  }
  const bracketed = /^\[(.*:.*)\]$/.exec(given);
  const hostname = checkHostname(bracketed ? bracketed[1]! : given, "");
  const label = tcpLabel(hostname, port);
  const bind: BindAddr = { transport: "tcp", hostname, port };
  if (address.tls !== undefined) {
    bind.tls = checkTls(address.tls, ` on '${label}'`);
  }
  return { label, bind };
}

/**
 * Checks one address as {@linkcode NetListener.open} takes it.
 *
 * @param address A string or an address object, unchecked.
 * @returns What to bind and how to name it.
 * @throws {TypeError} If the address is malformed.
 * @throws {RangeError} If its port is not an integer in 0..65535.
 */
export function parseListenAddress(address: unknown): ListenSpec {
  if (typeof address === "string") return parseString(address);
  if (typeof address === "object" && address !== null) {
    return parseObject(address as Record<string, unknown>);
  }
  throw argumentError(
    `${OPEN} as an address`,
    "a string or an object",
    address,
  );
}

/**
 * The `code` of a runtime's error (`"EADDRINUSE"`), if it has one.
 *
 * @param error Anything thrown.
 * @returns The code, or undefined.
 */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * The error `open()` rejects with when an address cannot be bound or
 * resolved: it names the address as the caller wrote it (and, if
 * different, what was being bound) and keeps the runtime's error as `cause`.
 *
 * @param spec The address.
 * @param error The runtime's error.
 * @param bound The endpoint being bound, if it differs from the label.
 * @returns The error.
 */
export function openError(
  spec: ListenSpec,
  error: unknown,
  bound?: string,
): Error {
  const code = errorCode(error);
  const message = messageOf(error);
  const at = bound !== undefined && bound !== spec.label ? ` (${bound})` : "";
  return new Error(
    `${OPEN} on '${spec.label}'${at}: ${
      code && !message.includes(code) ? `${code}: ` : ""
    }${message}`,
    { cause: error },
  );
}
