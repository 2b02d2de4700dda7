// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  crc32c,
  formatIpv6,
  ipv6Bytes,
  parseProxyHeader,
  readProxyHeader,
} from "../../src/net/_proxy_protocol.ts";
import type { Addr, ConnectionTransport } from "../../src/listener.ts";
import {
  concat,
  ipv4Block,
  ipv6Block,
  ipv6Full,
  tlv,
  unixBlock,
  v1,
  v2,
} from "../_proxy.ts";

const text = (s: string) => new TextEncoder().encode(s);

function tcp(hostname: string, port: number): Addr {
  return { transport: "tcp", hostname, port };
}

/** Every prefix of `header` shorter than it is incomplete, not invalid. */
function assertIncompleteUntilEnd(header: Uint8Array): void {
  for (let n = 0; n < header.length; n++) {
    assert.equal(parseProxyHeader(header.subarray(0, n)), null, `at ${n}`);
  }
}

function assertInvalid(bytes: Uint8Array, message: RegExp): void {
  assert.throws(() => parseProxyHeader(bytes), (error: Error) => {
    assert.equal(error.constructor, Error);
    assert.match(error.message, message);
    return true;
  });
}

describe("parseProxyHeader, version 1", () => {
  test("reads TCP4 and TCP6 lines, and stops at the CRLF", () => {
    const line = v1("TCP4 192.168.0.1 192.168.0.11 56324 443");
    assert.deepEqual(parseProxyHeader(concat(line, text("GET /"))), {
      length: line.length,
      version: 1,
      source: tcp("192.168.0.1", 56324),
      destination: tcp("192.168.0.11", 443),
    });
    assertIncompleteUntilEnd(line);
    assert.deepEqual(
      parseProxyHeader(v1("TCP6 2001:DB8:0:0:0:0:0:1 ::1 0 65535")),
      {
        length: 45,
        version: 1,
        source: tcp("2001:db8::1", 0),
        destination: tcp("::1", 65535),
      },
    );
    assert.deepEqual(
      parseProxyHeader(v1("TCP6 ::ffff:10.0.0.1 fe80::1:0:0:2 1 2"))?.source,
      tcp("::ffff:10.0.0.1", 1),
    );
  });

  test("UNKNOWN keeps the socket's addresses, whatever follows it", () => {
    for (const rest of ["UNKNOWN", "UNKNOWN ffff::1 ffff::2 65535 65535"]) {
      const line = v1(rest);
      assert.deepEqual(parseProxyHeader(line), {
        length: line.length,
        version: 1,
        source: null,
        destination: null,
      });
    }
  });

  test("the longest valid line is 107 bytes; no CRLF by then is invalid", () => {
    const longest = v1(
      `UNKNOWN ${"ffff:".repeat(7)}ffff ${"ffff:".repeat(7)}ffff 65535 65535`,
    );
    assert.equal(longest.length, 107);
    assert.equal(parseProxyHeader(longest)?.length, 107);
    const oversize = text(`PROXY UNKNOWN ${"x".repeat(100)}\r\n`);
    assert.equal(parseProxyHeader(oversize.subarray(0, 106)), null);
    assertInvalid(oversize, /no CRLF in its first 107 bytes/);
  });

  test("rejects anything that does not match exactly", () => {
    const cases: [string, RegExp][] = [
      ["TCP4 1.2.3.4 5.6.7.8 1 2\n", /ends without CRLF/],
      ["TCP5 1.2.3.4 5.6.7.8 1 2\r\n", /must be TCP4, TCP6 or UNKNOWN/],
      ["tcp4 1.2.3.4 5.6.7.8 1 2\r\n", /'tcp4'/],
      ["TCP4 1.2.3.4 5.6.7.8 1\r\n", /must be 'PROXY TCP4/],
      ["TCP4  1.2.3.4 5.6.7.8 1 2\r\n", /must be 'PROXY TCP4/],
      ["TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", /must be 'PROXY TCP4/],
      ["TCP4 1.2.3.256 5.6.7.8 1 2\r\n", /source address .*'1\.2\.3\.256'/],
      ["TCP4 1.2.3.04 5.6.7.8 1 2\r\n", /source address/],
      ["TCP4 1.2.3.4 ::1 1 2\r\n", /destination address .*IPv4/],
      ["TCP6 1.2.3.4 ::1 1 2\r\n", /source address .*IPv6/],
      ["TCP6 ::1::2 ::1 1 2\r\n", /source address/],
      ["TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", /source address/],
      ["TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n", /source address/],
      ["TCP6 ::1 12345::1 1 2\r\n", /destination address/],
      ["TCP4 1.2.3.4 5.6.7.8 01 2\r\n", /source port .*'01'/],
      ["TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", /destination port .*'65536'/],
      ["TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", /destination port/],
      ["TCP4 1.2.3.4\r5.6.7.8 1 2\r\n", /must be 'PROXY TCP4/],
    ];
    for (const [rest, message] of cases) {
      assertInvalid(text(`PROXY ${rest}`), message);
    }
  });

  test("garbage fails at its first wrong byte, without waiting for more", () => {
    for (const garbage of ["GET / HTTP/1.1", "P", "PROXY\r\n", "proxy "]) {
      const bytes = text(garbage);
      if (bytes.length === 1) {
        assert.equal(parseProxyHeader(bytes), null);
        continue;
      }
      assertInvalid(bytes, /does not start with a PROXY header/);
    }
    assertInvalid(Uint8Array.of(0x16, 0x03, 0x01), /does not start/);
    assert.equal(parseProxyHeader(new Uint8Array(0)), null);
  });
});

describe("parseProxyHeader, version 2", () => {
  test("reads TCP over IPv4 and IPv6", () => {
    const v4 = v2({ addresses: ipv4Block("10.1.2.3", "10.9.8.7", 40000, 80) });
    assert.equal(v4.length, 28);
    assert.deepEqual(parseProxyHeader(concat(v4, [1, 2, 3])), {
      length: 28,
      version: 2,
      source: tcp("10.1.2.3", 40000),
      destination: tcp("10.9.8.7", 80),
    });
    assertIncompleteUntilEnd(v4);
    const v6 = v2({
      familyProtocol: 0x21,
      addresses: ipv6Block(
        "2001:0db8:0000:0000:0001:0000:0000:0001",
        "0000:0000:0000:0000:0000:0000:0000:0001",
        1,
        65535,
      ),
    });
    assert.deepEqual(parseProxyHeader(v6), {
      length: 52,
      version: 2,
      source: tcp("2001:db8::1:0:0:1", 1),
      destination: tcp("::1", 65535),
    });
  });

  test("reads Unix addresses", () => {
    const header = v2({
      familyProtocol: 0x31,
      addresses: unixBlock("/run/client.sock", "/run/haproxy.sock"),
    });
    assert.deepEqual(parseProxyHeader(header), {
      length: 16 + 216,
      version: 2,
      source: { transport: "unix", path: "/run/client.sock" },
      destination: { transport: "unix", path: "/run/haproxy.sock" },
    });
  });

  test("skips TLVs, and checks a CRC32C one", () => {
    const addresses = ipv4Block("1.1.1.1", "2.2.2.2", 3, 4);
    const tlvs = [
      ...tlv(0x01, text("h2")),
      ...tlv(0x02, text("example.com")),
      ...tlv(0x04, []),
      ...tlv(0xe0, new Uint8Array(300)),
    ];
    const header = v2({ addresses, tlvs });
    assert.deepEqual(parseProxyHeader(header)?.source, tcp("1.1.1.1", 3));
    assert.equal(parseProxyHeader(header)?.length, header.length);
    // A checksum over the header with its own field zeroed.
    const unsigned = v2({
      addresses,
      tlvs: [...tlvs, ...tlv(0x03, [0, 0, 0, 0])],
    });
    const sum = crc32c(unsigned);
    const signed = unsigned.slice();
    new DataView(signed.buffer).setUint32(signed.length - 4, sum);
    assert.equal(parseProxyHeader(signed)?.length, signed.length);
    const corrupt = signed.slice();
    corrupt[16] = corrupt[16]! ^ 1;
    assertInvalid(corrupt, /CRC32C checksum does not match/);
    assertInvalid(
      v2({ addresses, tlvs: tlv(0x03, [0, 0, 0]) }),
      /CRC32C TLV must hold 4 bytes/,
    );
  });

  test("rejects TLVs that do not fill the header exactly", () => {
    const addresses = ipv4Block("1.1.1.1", "2.2.2.2", 3, 4);
    assertInvalid(v2({ addresses, tlvs: [0x01, 0x00] }), /inside a TLV/);
    assertInvalid(
      v2({ addresses, tlvs: [0x01, 0x00, 0x05, 0x61] }),
      /TLV of type 1 runs past the header's end/,
    );
  });

  test("LOCAL and UNSPEC keep the socket's addresses, skipping their block", () => {
    const local = v2({
      versionCommand: 0x20,
      addresses: ipv4Block("1.1.1.1", "2.2.2.2", 3, 4),
    });
    assert.deepEqual(parseProxyHeader(concat(local, text("x"))), {
      length: 28,
      version: 2,
      source: null,
      destination: null,
    });
    // LOCAL with no block, as HAProxy's health checks send it.
    assert.equal(
      parseProxyHeader(v2({ versionCommand: 0x20, familyProtocol: 0 }))?.length,
      16,
    );
    const unspec = v2({ familyProtocol: 0x00, addresses: [9, 9, 9] });
    assert.deepEqual(parseProxyHeader(unspec)?.source, null);
    // Datagram families: the socket's addresses stand too.
    const udp = v2({
      familyProtocol: 0x12,
      addresses: ipv4Block("1.1.1.1", "2.2.2.2", 3, 4),
    });
    assert.deepEqual(parseProxyHeader(udp)?.source, null);
  });

  test("rejects unassigned values and short address blocks", () => {
    assertInvalid(v2({ versionCommand: 0x11 }), /version must be 2: it is 1/);
    assertInvalid(v2({ versionCommand: 0x22 }), /command 2 is unassigned/);
    // Judged as soon as the 13th byte arrives.
    assertInvalid(v2({ versionCommand: 0x31 }).subarray(0, 13), /version/);
    assertInvalid(v2({ familyProtocol: 0x41 }), /family 4 is unassigned/);
    assertInvalid(v2({ familyProtocol: 0x13 }), /protocol 3 is unassigned/);
    assertInvalid(
      v2({ addresses: [1, 2, 3, 4, 5, 6, 7, 8] }),
      /family 1 need 12 bytes: the header holds 8/,
    );
    assertInvalid(
      v2({
        familyProtocol: 0x21,
        addresses: ipv4Block("1.1.1.1", "2.2.2.2", 3, 4),
      }),
      /family 2 need 36 bytes/,
    );
  });

  test("waits for the length the header announces", () => {
    const header = v2({ addresses: ipv4Block("1.1.1.1", "2.2.2.2", 3, 4) });
    assert.equal(parseProxyHeader(header.subarray(0, 27)), null);
    // A 64 KiB header is valid (TLVs of NOOP), and waited for to its end.
    const big = v2({
      addresses: ipv4Block("1.1.1.1", "2.2.2.2", 3, 4),
      tlvs: tlv(0x04, new Uint8Array(65535 - 12 - 3)),
    });
    assert.equal(big.length, 16 + 65535);
    assert.equal(parseProxyHeader(big.subarray(0, big.length - 1)), null);
    assert.equal(parseProxyHeader(big)?.length, big.length);
  });
});

describe("IPv6 text and CRC32C", () => {
  test("ipv6Bytes reads what inet_pton reads", () => {
    assert.deepEqual(
      ipv6Bytes("2001:db8::ff00:42:8329"),
      Uint8Array.from(ipv6Full("2001:0db8:0000:0000:0000:ff00:0042:8329")),
    );
    assert.deepEqual(ipv6Bytes("::"), new Uint8Array(16));
    assert.deepEqual(
      ipv6Bytes("::ffff:1.2.3.4"),
      Uint8Array.from(ipv6Full("0:0:0:0:0:ffff:0102:0304")),
    );
    for (
      const bad of [
        "",
        ":",
        "1:2",
        ":::",
        "1::2::3",
        "g::",
        "1.2.3.4::",
        "::1.2.3",
      ]
    ) {
      assert.equal(ipv6Bytes(bad), null, bad);
    }
  });

  test("formatIpv6 writes RFC 5952's canonical form", () => {
    const cases: [string, string][] = [
      ["2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"],
      ["2001:0db8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1"],
      ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
      ["2001:0db8:0000:0000:0000:0001:0000:0000", "2001:db8::1:0:0"],
      ["0000:0000:0000:0000:0000:0000:0000:0000", "::"],
      ["0000:0000:0000:0000:0000:ffff:c000:0280", "::ffff:192.0.2.128"],
      ["FE80:0000:0000:0000:0000:0000:0000:0001", "fe80::1"],
    ];
    for (const [full, canonical] of cases) {
      assert.equal(formatIpv6(Uint8Array.from(ipv6Full(full))), canonical);
    }
  });

  test("crc32c matches the standard check value", () => {
    assert.equal(crc32c(text("123456789")), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
  });
});

/** A transport that delivers the given chunks, then waits (or ends). */
function scripted(
  chunks: Uint8Array[],
  options: { end?: boolean; fail?: Error } = {},
): ConnectionTransport & { closed: boolean; reads: number } {
  const addr = tcp("127.0.0.1", 9999);
  const { promise: closed, resolve: close } = Promise.withResolvers<null>();
  const state = {
    localAddr: tcp("127.0.0.1", 80),
    remoteAddr: addr,
    closed: false,
    reads: 0,
    read(): Promise<Uint8Array | null> {
      state.reads++;
      if (state.closed) return Promise.resolve(null);
      const chunk = chunks.shift();
      if (chunk !== undefined) return Promise.resolve(chunk);
      if (options.fail) return Promise.reject(options.fail);
      return options.end ? Promise.resolve(null) : closed;
    },
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close() {
      state.closed = true;
      close(null);
    },
  };
  return state;
}

describe("readProxyHeader", () => {
  test("reads a header split across chunks; the rest is what followed it", async () => {
    const header = v1("TCP4 1.2.3.4 5.6.7.8 10 20");
    const transport = scripted([
      header.subarray(0, 3),
      header.subarray(3, 20),
      concat(header.subarray(20), text("hello")),
      text("world"),
    ]);
    const start = await readProxyHeader(transport, 10_000);
    assert.deepEqual(start.remoteAddr, tcp("1.2.3.4", 10));
    assert.equal(new TextDecoder().decode(start.rest!), "hello");
    assert.equal(transport.reads, 3, "reads no chunk past the header's");
  });

  test("a header alone leaves no rest; LOCAL names no client", async () => {
    const start = await readProxyHeader(
      scripted([v2({ versionCommand: 0x20, familyProtocol: 0 })]),
      10_000,
    );
    assert.deepEqual(start, { remoteAddr: null, rest: null });
  });

  test("names the peer and the fault of a bad header", async () => {
    await assert.rejects(
      readProxyHeader(scripted([text("GET / HTTP/1.0\r\n")]), 10_000),
      new Error(
        "Cannot accept connection from 127.0.0.1:9999 as its PROXY protocol header is invalid: the connection does not start with a PROXY header",
      ),
    );
    await assert.rejects(
      readProxyHeader(scripted([text("PROXY TCP4")], { end: true }), 10_000),
      /as it ended before its PROXY protocol header was complete$/,
    );
    const cause = new Error("reset");
    await assert.rejects(
      readProxyHeader(scripted([], { fail: cause }), 10_000),
      (error: Error) => {
        assert.match(error.message, /reading its PROXY protocol header failed/);
        assert.equal(error.cause, cause);
        return true;
      },
    );
  });

  test("gives up with a TimeoutError when the header is not complete in time", async () => {
    const transport = scripted([text("PROXY TCP4 1.2")]);
    await assert.rejects(readProxyHeader(transport, 20), (error: Error) => {
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "TimeoutError");
      assert.match(error.message, /127\.0\.0\.1:9999 .* within 20 ms$/);
      return true;
    });
    transport.close();
  });
});
