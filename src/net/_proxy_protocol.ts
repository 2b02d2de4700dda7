// Copyright 2026 the iox authors. MIT license.
// The PROXY protocol (HAProxy's doc/proxy-protocol.txt, versions 1 and 2),
// receiver side: a load balancer in front of the listener starts every
// connection with a header naming the client it relays. The parser is strict
// as the specification asks (anything that does not match exactly drops the
// connection) and never reads past the header: what follows it belongs to
// the application.

import type { Addr, ConnectionTransport } from "./connection.ts";
import { tcpLabel } from "./_address.ts";

/**
 * How long, from its accept, a connection may take to send its whole PROXY
 * protocol header when the listener's `proxyProtocol` is on (slowloris
 * protection), in milliseconds.
 */
export const PROXY_HEADER_TIMEOUT_MS = 5000;

/** A complete header. */
export interface ProxyHeader {
  /** Its length in bytes: the connection's own bytes start after it. */
  length: number;
  /** 1 (text) or 2 (binary). */
  version: 1 | 2;
  /**
   * The relayed client's address, or null when the socket's own is to be
   * kept: a v2 LOCAL command (the proxy's health check), v1 UNKNOWN, or an
   * unspecified or datagram family.
   */
  source: Addr | null;
  /** The address the client connected to, null as `source` is. */
  destination: Addr | null;
}

// "PROXY " starts a v1 line; the 12-byte signature and version 2 a v2 header.
const V1_PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20];
const V2_SIGNATURE = [
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
];
/** The longest v1 line, CRLF included ("PROXY UNKNOWN" with IPv6 fields). */
const V1_MAX_LENGTH = 107;
const V2_FIXED_LENGTH = 16;
const UNIX_PATH_LENGTH = 108;
const TLV_CRC32C = 0x03;

function invalid(detail: string): Error {
  return new Error(detail);
}

/**
 * Reads a PROXY protocol header from the start of a connection's bytes.
 *
 * @param bytes Everything received so far.
 * @returns The header, or null if `bytes` are a valid start but too few.
 * @throws {Error} If the bytes cannot start a valid header; the message says
 * what is wrong.
 */
export function parseProxyHeader(bytes: Uint8Array): ProxyHeader | null {
  const first = bytes[0];
  if (first === undefined) return null;
  const signature = first === V1_PREFIX[0] ? V1_PREFIX : V2_SIGNATURE;
  const known = Math.min(bytes.length, signature.length);
  for (let i = 0; i < known; i++) {
    if (bytes[i] !== signature[i]) {
      throw invalid("the connection does not start with a PROXY header");
    }
  }
  if (known < signature.length) return null;
  return signature === V1_PREFIX ? parseV1(bytes) : parseV2(bytes);
}

// The v1 line is parsed byte by byte: no string is made but the addresses
// (a third of the cost of a header, measured, was decoding the line).
function parseV1(bytes: Uint8Array): ProxyHeader | null {
  const end = bytes.indexOf(0x0a);
  if (end < 0 || end >= V1_MAX_LENGTH) {
    if (bytes.length < V1_MAX_LENGTH) return null;
    throw invalid(`v1 line has no CRLF in its first ${V1_MAX_LENGTH} bytes`);
  }
  const cr = end - 1;
  if (bytes[cr] !== 0x0d) throw invalid("v1 line ends without CRLF");
  const length = end + 1;
  // Field boundaries: [bounds[2i], bounds[2i + 1]) for each space-separated
  // field; empty fields (two spaces) fail below as malformed.
  const bounds: number[] = [V1_PREFIX.length];
  for (let i = V1_PREFIX.length; i < cr; i++) {
    if (bytes[i] === 0x20) bounds.push(i, i + 1);
  }
  bounds.push(cr);
  const fields = bounds.length / 2;
  const protocol = field(bytes, bounds, 0);
  // UNKNOWN: the rest of the line is to be ignored, whatever it holds.
  if (protocol === "UNKNOWN") {
    return { length, version: 1, source: null, destination: null };
  }
  if (protocol !== "TCP4" && protocol !== "TCP6") {
    throw invalid(
      `v1 protocol must be TCP4, TCP6 or UNKNOWN: it is '${protocol}'`,
    );
  }
  if (fields !== 5) {
    throw invalid(
      "v1 line must be 'PROXY TCP4|TCP6 <source> <destination> <source port> <destination port>'",
    );
  }
  const ip = protocol === "TCP4" ? ipv4Field : ipv6Field;
  return {
    length,
    version: 1,
    source: tcp(
      ip(bytes, bounds, 1, "source"),
      portField(bytes, bounds, 3, "source"),
    ),
    destination: tcp(
      ip(bytes, bounds, 2, "destination"),
      portField(bytes, bounds, 4, "destination"),
    ),
  };
}

// A field as text (latin1): for the protocol (short) and for messages.
function field(bytes: Uint8Array, bounds: number[], index: number): string {
  let text = "";
  for (let i = bounds[2 * index]!; i < bounds[2 * index + 1]!; i++) {
    text += String.fromCharCode(bytes[i]!);
  }
  return text;
}

function tcp(hostname: string, port: number): Addr {
  return { transport: "tcp", hostname, port };
}

// The character codes of a byte array or a string, read alike.
type Codes = (at: number) => number;

// A decimal in [from, to) without leading zeros, as the specification
// requires, or -1.
function decimal(code: Codes, from: number, to: number): number {
  if (to <= from || to - from > 5 || (code(from) === 0x30 && to - from > 1)) {
    return -1;
  }
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = code(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

// A dotted-quad IPv4 address in [from, to), or null.
function dottedQuad(code: Codes, from: number, to: number): number[] | null {
  const parts: number[] = [];
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i < to && code(i) !== 0x2e) continue;
    const part = decimal(code, start, i);
    if (part < 0 || part > 255 || parts.length === 4) return null;
    parts.push(part);
    start = i + 1;
  }
  return parts.length === 4 ? parts : null;
}

function portField(
  bytes: Uint8Array,
  bounds: number[],
  index: number,
  which: string,
): number {
  const port = decimal(
    (at) => bytes[at]!,
    bounds[2 * index]!,
    bounds[2 * index + 1]!,
  );
  if (port < 0 || port > 65535) {
    throw invalid(
      `v1 ${which} port must be a decimal in 0..65535: '${
        field(bytes, bounds, index)
      }'`,
    );
  }
  return port;
}

function ipv4Field(
  bytes: Uint8Array,
  bounds: number[],
  index: number,
  which: string,
): string {
  const parts = dottedQuad(
    (at) => bytes[at]!,
    bounds[2 * index]!,
    bounds[2 * index + 1]!,
  );
  if (parts === null) {
    throw invalid(
      `v1 ${which} address must be an IPv4 address: '${
        field(bytes, bounds, index)
      }'`,
    );
  }
  return parts.join(".");
}

function ipv6Field(
  bytes: Uint8Array,
  bounds: number[],
  index: number,
  which: string,
): string {
  const text = field(bytes, bounds, index);
  const address = ipv6Bytes(text);
  if (address === null) {
    throw invalid(`v1 ${which} address must be an IPv6 address: '${text}'`);
  }
  return formatIpv6(address);
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/**
 * The 16 bytes of an IPv6 address written as `inet_pton` reads it: hex
 * groups, at most one `::`, an optional dotted IPv4 tail.
 *
 * @param text The address, without brackets or zone.
 * @returns Its bytes, or null if it is not an IPv6 address.
 */
export function ipv6Bytes(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups: number[][] = [];
  for (const half of halves) {
    const values: number[] = [];
    const parts = half === "" ? [] : half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (HEX_GROUP.test(part)) {
        values.push(parseInt(part, 16));
        continue;
      }
      // A dotted IPv4 tail: only last, and worth two groups.
      const v4 = i === parts.length - 1 && half === halves.at(-1)
        ? dottedQuad((at) => part.charCodeAt(at), 0, part.length)
        : null;
      if (v4 === null) return null;
      values.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    }
    groups.push(values);
  }
  const [head = [], tail = []] = groups;
  const zeros = 8 - head.length - tail.length;
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) return null;
  const all = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/**
 * An IPv6 address in RFC 5952's canonical text, as the runtimes report
 * peers: lower-case hex without leading zeros, the longest run of two or
 * more zero groups as `::`, an IPv4-mapped address as `::ffff:a.b.c.d`.
 *
 * @param bytes The 16 bytes.
 * @returns The text.
 */
export function formatIpv6(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const groups = Array.from({ length: 8 }, (_, i) => view.getUint16(2 * i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${
    hex.slice(bestStart + bestLength).join(":")
  }`;
}

function parseV2(bytes: Uint8Array): ProxyHeader | null {
  if (bytes.length < V2_FIXED_LENGTH) {
    // The version and command byte can be judged before the rest.
    if (bytes.length > 12) checkVersionAndCommand(bytes[12]!);
    return null;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const local = checkVersionAndCommand(bytes[12]!);
  const family = bytes[13]! >> 4;
  const protocol = bytes[13]! & 0x0f;
  if (family > 3) throw invalid(`v2 address family ${family} is unassigned`);
  if (protocol > 2) throw invalid(`v2 protocol ${protocol} is unassigned`);
  const length = V2_FIXED_LENGTH + view.getUint16(14);
  if (bytes.length < length) return null;
  // LOCAL (its address block is to be ignored whatever the family says) or
  // an unspecified family (of unknown layout): the socket's addresses stand.
  if (local || family === 0) {
    return { length, version: 2, source: null, destination: null };
  }
  const header = bytes.subarray(0, length);
  const needed = family === 1 ? 12 : family === 2 ? 36 : 216;
  if (length - V2_FIXED_LENGTH < needed) {
    throw invalid(
      `v2 addresses of family ${family} need ${needed} bytes: the header holds ${
        length - V2_FIXED_LENGTH
      }`,
    );
  }
  checkTlvs(header, V2_FIXED_LENGTH + needed);
  // Unspecified or datagram protocols: the socket's addresses stand too.
  if (protocol !== 1) {
    return { length, version: 2, source: null, destination: null };
  }
  const at = V2_FIXED_LENGTH;
  if (family === 3) {
    return {
      length,
      version: 2,
      source: unixAddr(header.subarray(at, at + UNIX_PATH_LENGTH)),
      destination: unixAddr(
        header.subarray(at + UNIX_PATH_LENGTH, at + 2 * UNIX_PATH_LENGTH),
      ),
    };
  }
  const size = family === 1 ? 4 : 16;
  const format = family === 1
    ? (b: Uint8Array) => b.join(".")
    : (b: Uint8Array) => formatIpv6(b);
  const ports = at + 2 * size;
  return {
    length,
    version: 2,
    source: tcp(format(header.subarray(at, at + size)), view.getUint16(ports)),
    destination: tcp(
      format(header.subarray(at + size, ports)),
      view.getUint16(ports + 2),
    ),
  };
}

// True for LOCAL, false for PROXY; anything else is invalid.
function checkVersionAndCommand(byte: number): boolean {
  if (byte >> 4 !== 2) {
    throw invalid(`v2 version must be 2: it is ${byte >> 4}`);
  }
  const command = byte & 0x0f;
  if (command > 1) throw invalid(`v2 command ${command} is unassigned`);
  return command === 0;
}

function unixAddr(field: Uint8Array): Addr {
  const nul = field.indexOf(0);
  const path = new TextDecoder().decode(
    nul < 0 ? field : field.subarray(0, nul),
  );
  return { transport: "unix", path };
}

// The TLVs after the addresses must fill the header exactly; a CRC32C one
// must match the header's checksum.
function checkTlvs(header: Uint8Array, from: number): void {
  const view = new DataView(header.buffer, header.byteOffset, header.length);
  for (let at = from; at < header.length;) {
    if (at + 3 > header.length) {
      throw invalid("v2 header ends inside a TLV's type and length");
    }
    const type = header[at]!;
    const end = at + 3 + view.getUint16(at + 1);
    if (end > header.length) {
      throw invalid(`v2 TLV of type ${type} runs past the header's end`);
    }
    if (type === TLV_CRC32C) {
      if (end - at !== 7) throw invalid("v2 CRC32C TLV must hold 4 bytes");
      const expected = view.getUint32(at + 3);
      const zeroed = header.slice();
      zeroed.fill(0, at + 3, end);
      if (crc32c(zeroed) !== expected) {
        throw invalid("v2 header's CRC32C checksum does not match");
      }
    }
    at = end;
  }
}

let crcTable: Uint32Array | undefined;

/**
 * CRC32C (Castagnoli, RFC 4960 appendix B), as the v2 checksum TLV holds it.
 *
 * @param bytes The data.
 * @returns The checksum.
 */
export function crc32c(bytes: Uint8Array): number {
  const table = crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let crc = 0xffffffff;
  for (const byte of bytes) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A connection after its header: who it is from, and its first bytes. */
export interface ProxiedStart {
  /** The relayed client's address, or null to keep the socket's. */
  remoteAddr: Addr | null;
  /** The bytes that arrived with the header and follow it, or null. */
  rest: Uint8Array | null;
}

function peerLabel(addr: Addr): string {
  return addr.transport === "tcp"
    ? tcpLabel(addr.hostname, addr.port)
    : `unix:${addr.path}`;
}

/**
 * Reads a connection's PROXY protocol header, and not a byte past the
 * chunk that completes it.
 *
 * @param transport The accepted connection, nothing read from it yet.
 * @param timeoutMs How long the whole header may take.
 * @returns Who the connection is from and what followed the header.
 * @throws {Error} If the header is malformed or the connection ends or
 * fails first (the read error is the `cause`).
 * @throws {DOMException} Named "TimeoutError" if no complete header came
 * within `timeoutMs`.
 */
export function readProxyHeader(
  transport: ConnectionTransport,
  timeoutMs: number,
): Promise<ProxiedStart> {
  const from = peerLabel(transport.remoteAddr);
  const { promise, resolve, reject } = Promise.withResolvers<ProxiedStart>();
  const timer = setTimeout(() => {
    reject(
      new DOMException(
        `Cannot accept connection from ${from} as it sent no complete PROXY protocol header within ${timeoutMs} ms`,
        "TimeoutError",
      ),
    );
  }, timeoutMs);
  const fail = (detail: string, cause?: unknown) =>
    reject(
      new Error(
        `Cannot accept connection from ${from} as ${detail}`,
        cause === undefined ? undefined : { cause },
      ),
    );
  let received: Uint8Array = new Uint8Array(0);
  const next = (): void => {
    transport.read().then((chunk) => {
      if (chunk === null) {
        fail("it ended before its PROXY protocol header was complete");
        return;
      }
      if (received.length === 0) {
        received = chunk;
      } else {
        const joined = new Uint8Array(received.length + chunk.length);
        joined.set(received);
        joined.set(chunk, received.length);
        received = joined;
      }
      let header: ProxyHeader | null;
      try {
        header = parseProxyHeader(received);
      } catch (error) {
        fail(
          `its PROXY protocol header is invalid: ${(error as Error).message}`,
        );
        return;
      }
      if (header === null) {
        next();
        return;
      }
      resolve({
        remoteAddr: header.source,
        rest: header.length < received.length
          ? received.subarray(header.length)
          : null,
      });
    }, (error) => fail("reading its PROXY protocol header failed", error));
  };
  next();
  return promise.finally(() => clearTimeout(timer));
}
