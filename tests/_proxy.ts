// Copyright 2026 the iox authors. MIT license.
// PROXY protocol headers built by hand, byte by byte as HAProxy's
// doc/proxy-protocol.txt lays them out, for the parser's and the listener's
// tests. Nothing here uses the code under test.

/** The 12-byte v2 signature. */
export const V2_SIGNATURE: readonly number[] = [
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

/** A v1 line: `PROXY <rest>\r\n`. */
export function v1(rest: string): Uint8Array {
  return new TextEncoder().encode(`PROXY ${rest}\r\n`);
}

/** The bytes of a fully written IPv6 address (8 groups, no `::`). */
export function ipv6Full(text: string): number[] {
  const groups = text.split(":");
  if (groups.length !== 8) throw new Error(`write all 8 groups: ${text}`);
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function port(value: number): number[] {
  return [value >> 8, value & 0xff];
}

/** A v2 TLV: type, 16-bit length, value. */
export function tlv(type: number, value: ArrayLike<number>): number[] {
  return [type, ...port(value.length), ...Array.from(value)];
}

/** What goes into a v2 header. */
export interface V2Parts {
  /** 0x21 for PROXY (the default), 0x20 for LOCAL; any byte to test. */
  versionCommand?: number;
  /** Family and protocol: 0x11 TCP4, 0x21 TCP6, 0x31 Unix, 0x00 UNSPEC. */
  familyProtocol?: number;
  /** The address block. */
  addresses?: number[];
  /** TLVs after the addresses. */
  tlvs?: number[];
  /** The length field, if not the true one. */
  length?: number;
}

/** A v2 header. */
export function v2(parts: V2Parts = {}): Uint8Array {
  const {
    versionCommand = 0x21,
    familyProtocol = 0x11,
    addresses = [],
    tlvs = [],
  } = parts;
  const body = [...addresses, ...tlvs];
  const length = parts.length ?? body.length;
  return Uint8Array.from([
    ...V2_SIGNATURE,
    versionCommand,
    familyProtocol,
    ...port(length),
    ...body,
  ]);
}

/** A TCP over IPv4 address block. */
export function ipv4Block(
  source: string,
  destination: string,
  sourcePort: number,
  destinationPort: number,
): number[] {
  const ip = (text: string) => text.split(".").map(Number);
  return [
    ...ip(source),
    ...ip(destination),
    ...port(sourcePort),
    ...port(destinationPort),
  ];
}

/** A TCP over IPv6 address block, from fully written addresses. */
export function ipv6Block(
  source: string,
  destination: string,
  sourcePort: number,
  destinationPort: number,
): number[] {
  return [
    ...ipv6Full(source),
    ...ipv6Full(destination),
    ...port(sourcePort),
    ...port(destinationPort),
  ];
}

/** A Unix address block: two NUL-padded 108-byte paths. */
export function unixBlock(source: string, destination: string): number[] {
  const field = (path: string) => {
    const bytes = new Uint8Array(108);
    bytes.set(new TextEncoder().encode(path));
    return Array.from(bytes);
  };
  return [...field(source), ...field(destination)];
}

/** Joins byte arrays. */
export function concat(...parts: ArrayLike<number>[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => Array.from(part)));
}
