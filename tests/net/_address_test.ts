// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  errorCode,
  isIpLiteral,
  openError,
  parseListenAddress,
  tcpLabel,
} from "../../src/net/_address.ts";

describe("parseListenAddress", () => {
  test("reads strings: host:port, [ipv6]:port, unix:path", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:80"), {
      label: "127.0.0.1:80",
      bind: { transport: "tcp", hostname: "127.0.0.1", port: 80 },
    });
    assert.deepEqual(parseListenAddress("localhost:0"), {
      label: "localhost:0",
      bind: { transport: "tcp", hostname: "localhost", port: 0 },
    });
    assert.deepEqual(parseListenAddress("[::1]:8080"), {
      label: "[::1]:8080",
      bind: { transport: "tcp", hostname: "::1", port: 8080 },
    });
    assert.deepEqual(parseListenAddress("[fe80::1%lo]:1"), {
      label: "[fe80::1%lo]:1",
      bind: { transport: "tcp", hostname: "fe80::1%lo", port: 1 },
    });
    assert.deepEqual(parseListenAddress("unix:/run/a b.sock"), {
      label: "unix:/run/a b.sock",
      bind: { transport: "unix", path: "/run/a b.sock" },
    });
    // A port written with a sign or leading zeros is still a number.
    assert.equal(
      (parseListenAddress("h:+0080").bind as { port: number }).port,
      80,
    );
  });

  test("reads objects, labelling them as strings would be written", () => {
    assert.deepEqual(parseListenAddress({ port: 5 }), {
      label: "0.0.0.0:5",
      bind: { transport: "tcp", hostname: "0.0.0.0", port: 5 },
    });
    assert.deepEqual(
      parseListenAddress({ transport: "tcp", hostname: "[::]", port: 0 }),
      {
        label: "[::]:0",
        bind: { transport: "tcp", hostname: "::", port: 0 },
      },
    );
    assert.equal(
      parseListenAddress({ hostname: "::1", port: 7 }).label,
      "[::1]:7",
    );
    assert.deepEqual(parseListenAddress({ transport: "unix", path: "x" }), {
      label: "unix:x",
      bind: { transport: "unix", path: "x" },
    });
  });

  test("names the rule and the value of a bad address", () => {
    const cases: [unknown, typeof TypeError | typeof RangeError, string][] = [
      [
        "127.0.0.1:65536",
        RangeError,
        "Cannot open listener on '127.0.0.1:65536' as 'port' must be an integer in 0..65535: current value is 65536",
      ],
      [
        "h:1e3",
        TypeError,
        `Cannot open listener on 'h:1e3' as 'port' must be an integer in 0..65535: current value is "1e3"`,
      ],
      [
        "a/b:1",
        TypeError,
        `Cannot open listener on 'a/b:1' as 'hostname' must be a host name or an IP address: current value is "a/b"`,
      ],
      [
        "[::1]80",
        TypeError,
        "Cannot open listener as address '[::1]80' must be 'host:port', '[ipv6]:port' or 'unix:path'",
      ],
      [
        { port: 1, hostname: "a..b" },
        TypeError,
        `Cannot open listener as 'hostname' must be a host name or an IP address: current value is "a..b"`,
      ],
      [
        { port: Number.NaN },
        RangeError,
        "Cannot open listener as 'port' must be an integer in 0..65535: current value is NaN",
      ],
      [
        { port: "1" },
        TypeError,
        `Cannot open listener as 'port' must be an integer in 0..65535: current value is "1"`,
      ],
      [
        { transport: "unix", path: 3 },
        TypeError,
        "Cannot open listener as 'path' must be a non-empty string: current value is 3",
      ],
      [
        { transport: "unix", path: "a\0" },
        TypeError,
        `Cannot open listener as 'path' must be a path without a NUL character: current value is "a\\u0000"`,
      ],
      [
        { transport: "tls", port: 1 },
        TypeError,
        `Cannot open listener as 'transport' must be "tcp" or "unix": current value is "tls"`,
      ],
      [
        undefined,
        TypeError,
        "Cannot open listener as an address must be a string or an object: current value is undefined",
      ],
    ];
    for (const [address, type, message] of cases) {
      assert.throws(() => parseListenAddress(address), (error: Error) => {
        assert.equal(error.constructor, type, String(address));
        assert.equal(error.message, message);
        return true;
      });
    }
  });
});

describe("address helpers", () => {
  test("isIpLiteral tells IP addresses from names", () => {
    assert.equal(isIpLiteral("10.0.0.1"), true);
    assert.equal(isIpLiteral("::"), true);
    assert.equal(isIpLiteral("fe80::1%eth0"), true);
    assert.equal(isIpLiteral("localhost"), false);
    assert.equal(isIpLiteral("1.2.3"), false);
    assert.equal(isIpLiteral("1.2.3.4.example"), false);
  });

  test("tcpLabel brackets IPv6 only", () => {
    assert.equal(tcpLabel("::1", 80), "[::1]:80");
    assert.equal(tcpLabel("1.2.3.4", 0), "1.2.3.4:0");
  });

  test("openError names the address, what was bound and the code", () => {
    const spec = parseListenAddress("localhost:0");
    const cause = Object.assign(new Error("in use"), { code: "EADDRINUSE" });
    const error = openError(spec, cause, "[::1]:4000");
    assert.equal(
      error.message,
      "Cannot open listener on 'localhost:0' ([::1]:4000): EADDRINUSE: in use",
    );
    assert.equal(error.cause, cause);
    // The code is not repeated, nor the label.
    const same = new Error("EADDRINUSE: taken");
    assert.equal(
      openError(spec, Object.assign(same, { code: "EADDRINUSE" }), spec.label)
        .message,
      "Cannot open listener on 'localhost:0': EADDRINUSE: taken",
    );
    assert.equal(
      openError(spec, "plain").message,
      "Cannot open listener on 'localhost:0': plain",
    );
    assert.equal(errorCode({ code: 5 }), undefined);
    assert.equal(errorCode(null), undefined);
  });
});
