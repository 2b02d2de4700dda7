// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { lookup } from "node:dns/promises";
import { join } from "node:path";
import {
  type Addr,
  type Connection,
  type HandlerExecutor,
  NetListener,
} from "../../src/listener.ts";
import {
  type BindAddr,
  net,
  type RawListener,
  resolver,
} from "../../src/_runtime/net.ts";
import {
  closed,
  connected,
  connectTo,
  countdown,
  echo,
  exchange,
  ipv6Loopback,
  openFds,
  socketDir,
} from "../_net.ts";

const ipv6 = await ipv6Loopback();
if (!ipv6) console.log("IPv6 loopback unavailable: IPv6 tests skipped");
const isBun = "Bun" in globalThis;

function tcpPort(addr: Addr | undefined): number {
  assert.equal(addr?.transport, "tcp");
  return addr.port;
}

/** Makes the listener resolve the given names so; undone on dispose. */
function resolveAs(
  table: Record<string, string[]>,
): AsyncDisposable & { asked: string[] } {
  const original = resolver.resolveHost;
  const asked: string[] = [];
  resolver.resolveHost = (hostname) => {
    asked.push(hostname);
    const found = table[hostname];
    return found
      ? Promise.resolve(found)
      : Promise.reject(new Error(`unknown host ${hostname}`));
  };
  return {
    asked,
    [Symbol.asyncDispose]() {
      resolver.resolveHost = original;
      return Promise.resolve();
    },
  };
}

/**
 * Replaces binding TCP addresses with fakes that listen nowhere: port 0
 * gets 40001, 40002, ... in turn, and the second address of each of the
 * first `failures` groups finds its port taken (EADDRINUSE). Undone on
 * dispose.
 */
function fakeBinds(
  { failures }: { failures: number },
): AsyncDisposable & { calls: string[]; closed: string[]; open: number } {
  const original = net.listen;
  let nextPort = 40001;
  let failed = 0;
  const state = {
    calls: [] as string[],
    closed: [] as string[],
    open: 0,
    [Symbol.asyncDispose]() {
      net.listen = original;
      return Promise.resolve();
    },
  };
  net.listen = (bind: BindAddr): RawListener => {
    assert.equal(bind.transport, "tcp");
    const label = `${bind.hostname}:${bind.port}`;
    state.calls.push(label);
    if (bind.port !== 0 && state.calls.length % 2 === 0 && failed < failures) {
      failed++;
      throw Object.assign(new Error(`address ${label} in use`), {
        code: "EADDRINUSE",
      });
    }
    const port = bind.port === 0 ? nextPort++ : bind.port;
    const { promise, resolve } = Promise.withResolvers<null>();
    let open = true;
    state.open++;
    return {
      addr: { transport: "tcp", hostname: bind.hostname, port },
      accept: () => promise,
      close() {
        if (!open) return;
        open = false;
        state.open--;
        state.closed.push(`${bind.hostname}:${port}`);
        resolve(null);
      },
    };
  };
  return state;
}

function echoHandler(conn: Connection): Promise<void> {
  return conn.readable.pipeTo(conn.writable);
}

/** An executor that runs posted handlers only when told to. */
class ManualExecutor implements HandlerExecutor {
  queue: (() => unknown)[] = [];
  #waiting: { count: number; resolve(): void } | null = null;

  post(handler: () => unknown): void {
    this.queue.push(handler);
    if (this.#waiting && this.queue.length >= this.#waiting.count) {
      this.#waiting.resolve();
      this.#waiting = null;
    }
  }

  /** Resolves once `count` handlers are queued. */
  queued(count: number): Promise<void> {
    if (this.queue.length >= count) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiting = { count, resolve };
    return promise;
  }

  runOne(): void {
    const handler = this.queue.shift();
    assert.ok(handler, "nothing queued");
    handler();
  }
}

describe("NetListener.open", () => {
  test("listens on IPv4, IPv6 and a Unix socket at once", {
    skip: !ipv6 && "IPv6 loopback unavailable",
  }, async () => {
    const { dir, remove } = socketDir();
    const path = join(dir, "a.sock");
    const listener = new NetListener({ name: "mixed" });
    try {
      const addrs = await listener.open([
        "127.0.0.1:0",
        "[::1]:0",
        { transport: "unix", path },
      ]);
      assert.equal(addrs.length, 3);
      const [v4, v6, unix] = addrs;
      assert.equal(v4?.transport === "tcp" && v4.hostname, "127.0.0.1");
      assert.equal(v6?.transport === "tcp" && v6.hostname, "::1");
      assert.ok(tcpPort(v4) > 0 && tcpPort(v6) > 0);
      assert.deepEqual(unix, { transport: "unix", path });
      assert.deepEqual(listener.addrs, addrs);
      assert.equal(listener.connected, true);
      assert.ok(existsSync(path));
      listener.setClientHandler(echoHandler);
      for (const addr of addrs) {
        const payload = `to ${JSON.stringify(addr)}`;
        assert.equal((await echo(addr, payload)).toString(), payload);
      }
      assert.equal(listener.stats.accepted, 3);
      await listener.disconnect();
      assert.equal(existsSync(path), false);
    } finally {
      await listener[Symbol.asyncDispose]();
      remove();
    }
  });

  test("listens on every address a hostname resolves to, on one port", async () => {
    await using listener = new NetListener();
    const resolved = new Set(
      (await lookup("localhost", { all: true })).map((entry) => entry.address),
    );
    const addrs = await listener.open("localhost:0");
    assert.deepEqual(
      new Set(addrs.map((addr) => addr.transport === "tcp" && addr.hostname)),
      resolved,
    );
    const port = tcpPort(addrs[0]);
    assert.ok(port > 0);
    for (const addr of addrs) assert.equal(tcpPort(addr), port);
    listener.setClientHandler(echoHandler);
    for (const addr of addrs) {
      assert.equal(
        (await echo(addr, "via localhost")).toString(),
        "via localhost",
      );
    }
  });

  test("a name resolving to several addresses listens on all, on one port", {
    skip: !ipv6 && "IPv6 loopback unavailable",
  }, async () => {
    await using resolving = resolveAs({ "multi.test": ["127.0.0.1", "::1"] });
    await using listener = new NetListener();
    const addrs = await listener.open("multi.test:0");
    assert.deepEqual(
      addrs.map((addr) => addr.transport === "tcp" && addr.hostname),
      ["127.0.0.1", "::1"],
    );
    const port = tcpPort(addrs[0]);
    assert.equal(tcpPort(addrs[1]), port);
    assert.deepEqual(resolving.asked, ["multi.test"]);
    listener.setClientHandler(echoHandler);
    for (const addr of addrs) {
      assert.equal((await echo(addr, "both")).toString(), "both");
    }
  });

  test("with port 0, a taken port for a later address retries the group", async () => {
    await using resolving = resolveAs({
      "multi.test": ["10.0.0.1", "10.0.0.2"],
    });
    await using binding = fakeBinds({ failures: 1 });
    await using listener = new NetListener();
    const addrs = await listener.open("multi.test:0");
    // First try: 10.0.0.1 got port 40001, 10.0.0.2 found it taken; the first
    // was closed and the group tried again on a new port.
    assert.deepEqual(binding.calls, [
      "10.0.0.1:0",
      "10.0.0.2:40001",
      "10.0.0.1:0",
      "10.0.0.2:40002",
    ]);
    assert.deepEqual(binding.closed, ["10.0.0.1:40001"]);
    assert.deepEqual(addrs, [
      { transport: "tcp", hostname: "10.0.0.1", port: 40002 },
      { transport: "tcp", hostname: "10.0.0.2", port: 40002 },
    ]);
    assert.deepEqual(listener.addrs, addrs);
    assert.deepEqual(resolving.asked, ["multi.test"]);
  });

  test("gives up after 8 tries, naming the address, with nothing left open", async () => {
    await using _resolving = resolveAs({
      "multi.test": ["10.0.0.1", "10.0.0.2"],
    });
    await using binding = fakeBinds({ failures: Infinity });
    await using listener = new NetListener();
    await assert.rejects(
      listener.open("multi.test:0"),
      (error: Error) => {
        assert.match(
          error.message,
          /^Cannot open listener on 'multi\.test:0' \(10\.0\.0\.2:40008\): /,
        );
        assert.equal((error.cause as { code?: string }).code, "EADDRINUSE");
        return true;
      },
    );
    assert.equal(binding.calls.length, 16);
    assert.equal(binding.closed.length, 8);
    assert.equal(binding.open, 0);
    assert.equal(listener.connected, false);
  });

  test("a taken fixed port is not retried", async () => {
    await using _resolving = resolveAs({
      "multi.test": ["10.0.0.1", "10.0.0.2"],
    });
    await using binding = fakeBinds({ failures: 1 });
    await using listener = new NetListener();
    await assert.rejects(
      listener.open("multi.test:7000"),
      /^Error: Cannot open listener on 'multi\.test:7000' \(10\.0\.0\.2:7000\): /,
    );
    assert.deepEqual(binding.calls, ["10.0.0.1:7000", "10.0.0.2:7000"]);
    assert.equal(binding.open, 0);
  });

  test("accepts objects, bracketed IPv6 hostnames and adds on a second call", {
    skip: !ipv6 && "IPv6 loopback unavailable",
  }, async () => {
    await using listener = new NetListener();
    const [first] = await listener.open({ hostname: "127.0.0.1", port: 0 });
    const [second] = await listener.open([
      { transport: "tcp", hostname: "[::1]", port: 0 },
    ]);
    assert.equal(second?.transport === "tcp" && second.hostname, "::1");
    assert.deepEqual(listener.addrs, [first, second]);
  });

  test("is all-or-nothing when a port is in use", async () => {
    const { dir, remove } = socketDir();
    const path = join(dir, "b.sock");
    await using busy = new NetListener();
    await using listener = new NetListener();
    try {
      const port = tcpPort((await busy.open("127.0.0.1:0"))[0]);
      const error = await listener.open([
        { transport: "unix", path },
        "127.0.0.1:0",
        `127.0.0.1:${port}`,
      ]).then(() => undefined, (e: Error) => e);
      assert.ok(error instanceof Error);
      assert.equal(
        error.message.startsWith(`Cannot open listener on '127.0.0.1:${port}'`),
        true,
        error.message,
      );
      assert.match(error.message, /EADDRINUSE/);
      assert.equal((error.cause as { code?: string }).code, "EADDRINUSE");
      assert.equal(listener.connected, false);
      assert.deepEqual(listener.addrs, []);
      assert.equal(existsSync(path), false, "the Unix socket was closed");
      // The listener stays usable, and the path is free again.
      const [unix] = await listener.open(`unix:${path}`);
      assert.deepEqual(unix, { transport: "unix", path });
    } finally {
      await listener.disconnect();
      remove();
    }
  });

  test("is all-or-nothing when a hostname does not resolve", async () => {
    await using listener = new NetListener();
    await assert.rejects(
      listener.open(["127.0.0.1:0", "no-such-host.invalid:0"]),
      (error: Error) => {
        assert.match(
          error.message,
          /^Cannot open listener on 'no-such-host\.invalid:0': /,
        );
        assert.ok(error.cause);
        return true;
      },
    );
    assert.equal(listener.connected, false);
  });

  test("a disconnect() while opening wins: nothing stays open", async () => {
    await using listener = new NetListener();
    // The hostname is looked up asynchronously: disconnect() lands meanwhile.
    const opening = listener.open(["127.0.0.1:0", "localhost:0"]);
    await listener.disconnect();
    await assert.rejects(opening, {
      name: "AbortError",
      message: "Cannot open listener as it was disconnected while opening",
    });
    assert.equal(listener.connected, false);
    assert.deepEqual(listener.addrs, []);
    const [addr] = await listener.open("127.0.0.1:0");
    assert.equal(addr?.transport, "tcp");
    assert.equal(listener.connected, true);
  });

  test("is all-or-nothing when a Unix socket's directory is missing", async () => {
    const { dir, remove } = socketDir();
    const path = join(dir, "missing", "c.sock");
    await using listener = new NetListener();
    try {
      await assert.rejects(
        listener.open(["127.0.0.1:0", `unix:${path}`]),
        (error: Error) => {
          assert.ok(
            error.message.startsWith(`Cannot open listener on 'unix:${path}'`),
            error.message,
          );
          assert.equal((error.cause as { code?: string }).code, "ENOENT");
          return true;
        },
      );
      assert.equal(listener.connected, false);
    } finally {
      remove();
    }
  });

  test("rejects bad addresses before opening anything", async () => {
    await using listener = new NetListener();
    const cases: [unknown, typeof TypeError | typeof RangeError, RegExp][] = [
      [
        { port: 70000 },
        RangeError,
        /^Cannot open listener as 'port' must be an integer in 0\.\.65535: current value is 70000$/,
      ],
      [{ port: -1 }, RangeError, /current value is -1$/],
      [{ port: 1.5 }, RangeError, /current value is 1\.5$/],
      [{ port: "abc" }, TypeError, /'port' must be .*current value is "abc"$/],
      [{}, TypeError, /'port' must be .*current value is undefined$/],
      ["127.0.0.1:70000", RangeError, /on '127\.0\.0\.1:70000'.*70000$/],
      [
        "127.0.0.1:-1",
        RangeError,
        /on '127\.0\.0\.1:-1'.*current value is -1$/,
      ],
      [
        "127.0.0.1:abc",
        TypeError,
        /on '127\.0\.0\.1:abc'.*current value is "abc"$/,
      ],
      ["127.0.0.1:", TypeError, /current value is ""$/],
      ["abc", TypeError, /address 'abc' must be 'host:port'/],
      ["", TypeError, /address '' must be/],
      [":80", TypeError, /address ':80' must be/],
      ["::1:80", TypeError, /address '::1:80' must be/],
      ["[127.0.0.1]:80", TypeError, /address '\[127\.0\.0\.1\]:80' must be/],
      ["unix:", TypeError, /'unix:' must name a socket path/],
      [{ transport: "unix" }, TypeError, /'path' must be a non-empty string/],
      [{ transport: "udp", port: 1 }, TypeError, /current value is "udp"$/],
      [{ hostname: "", port: 0 }, TypeError, /'hostname' must be a non-empty/],
      [{ hostname: 5, port: 0 }, TypeError, /current value is 5$/],
      [
        { hostname: "[::1", port: 0 },
        TypeError,
        /'hostname' must be a host name or an IP address: current value is "\[::1"$/,
      ],
      [
        { hostname: "127.0.0.1:80", port: 0 },
        TypeError,
        /current value is "127\.0\.0\.1:80"$/,
      ],
      [{ hostname: "[::1]:0", port: 0 }, TypeError, /"\[::1\]:0"$/],
      [
        "bad host:80",
        TypeError,
        /^Cannot open listener on 'bad host:80' as 'hostname' must be a host name or an IP address: current value is "bad host"$/,
      ],
      [
        "unix:/tmp/a\0b.sock",
        TypeError,
        /'path' must be a path without a NUL character: current value is "\/tmp\/a\\u0000b\.sock"$/,
      ],
      [
        { transport: "unix", path: "a\0" },
        TypeError,
        /must be a path without a NUL character/,
      ],
      [42, TypeError, /a string or an object: current value is 42$/],
      [null, TypeError, /current value is null$/],
      [[], TypeError, /^Cannot open listener as the address list is empty$/],
      [["127.0.0.1:0", 7], TypeError, /current value is 7$/],
    ];
    for (const [address, type, message] of cases) {
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        listener.open(address as any),
        (error: Error) => {
          assert.equal(error.constructor, type, JSON.stringify(address));
          assert.match(error.message, message);
          return true;
        },
      );
    }
    assert.equal(listener.connected, false);
    assert.deepEqual(listener.addrs, []);
  });
});

describe("NetListener options", () => {
  test("validates the constructor options", () => {
    assert.throws(
      () => new NetListener({ maxConnections: 0 }),
      new RangeError(
        "Cannot create listener as 'maxConnections' must be a positive integer or Infinity: current value is 0",
      ),
    );
    assert.throws(() => new NetListener({ maxConnections: 1.5 }), RangeError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => new NetListener({ name: 5 as any }), TypeError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => new NetListener({ onError: 5 as any }), TypeError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => new NetListener(7 as any), {
      name: "TypeError",
      message:
        "Cannot create listener as 'options' must be an object: current value is 7",
    });
    assert.equal(new NetListener().name, "net-listener");
    assert.equal(new NetListener({ name: "x" }).name, "x");
  });

  test("validates setClientHandler's arguments", () => {
    const listener = new NetListener();
    // deno-lint-ignore no-explicit-any
    const bad = (handler: any, options?: any) => () =>
      listener.setClientHandler(handler, options);
    assert.throws(bad(5), /must be a function or null: current value is 5$/);
    assert.throws(bad(() => {}, { executor: {} }), /post\(\) method/);
    assert.throws(bad(() => {}, { onDispose: 1 }), TypeError);
    assert.throws(bad(() => {}, "x"), /'options' must be an object/);
  });

  test("add() takes over the runtime's own listener", async () => {
    await using listener = new NetListener();
    // deno-lint-ignore no-explicit-any
    const runtime = globalThis as any;
    const raw = isBun
      ? runtime.Bun.listen({
        hostname: "127.0.0.1",
        port: 0,
        allowHalfOpen: true,
        socket: { data() {} },
      })
      : Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const addr = listener.add(raw);
    assert.equal(addr.transport, "tcp");
    assert.deepEqual(listener.addrs, [addr]);
    listener.setClientHandler(echoHandler);
    assert.equal((await echo(addr, "adopted")).toString(), "adopted");
    assert.throws(
      () => listener.add({}),
      /^TypeError: Cannot add listener as it must be a/,
    );
  });
});

describe("NetListener on Deno's sockets", () => {
  test("sets TCP_NODELAY just before a write Nagle could hold", {
    skip: isBun && "Deno only",
  }, async () => {
    const log: string[] = [];
    const tcp = { transport: "tcp", hostname: "127.0.0.1", port: 7 } as const;
    const socket = (name: string) => ({
      localAddr: tcp,
      remoteAddr: { ...tcp, port: 8 },
      setNoDelay: () => log.push(`${name}: nodelay`),
      write(bytes: Uint8Array) {
        log.push(`${name}: write ${bytes.length}`);
        return Promise.resolve(bytes.length);
      },
      read: () => Promise.resolve(null),
      closeWrite: () => Promise.resolve(),
      close() {},
    });
    const sockets = [socket("once"), socket("twice"), socket("big")];
    const closed = Promise.withResolvers<never>();
    await using listener = new NetListener();
    listener.add({
      addr: tcp,
      accept: () =>
        sockets.length > 0 ? Promise.resolve(sockets.shift()) : closed.promise,
      close: () => closed.reject(new Deno.errors.BadResource("closed")),
    });
    const write = async (sizes: number[]) => {
      const writer = (await listener.waitClient()).writable.getWriter();
      for (const size of sizes) await writer.write(new Uint8Array(size));
    };
    await write([100]);
    await write([10, 10]);
    await write([1000]);
    assert.deepEqual(log, [
      "once: write 100",
      "twice: write 10",
      "twice: nodelay",
      "twice: write 10",
      "big: nodelay",
      "big: write 1000",
    ]);
  });
});

describe("NetListener.setClientHandler", () => {
  test("calls onDispose once, when the old handler is replaced or cleared", () => {
    const listener = new NetListener();
    const log: string[] = [];
    listener.setClientHandler(() => {}, { onDispose: () => log.push("a") });
    assert.equal(log.length, 0);
    listener.setClientHandler(() => {}, { onDispose: () => log.push("b") });
    assert.deepEqual(log, ["a"]);
    listener.setClientHandler(null);
    listener.setClientHandler(null);
    assert.deepEqual(log, ["a", "b"]);
  });

  test("posts calls to the executor and onDispose after the posted calls", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    const executor = new ManualExecutor();
    const log: string[] = [];
    listener.setClientHandler((conn) => {
      log.push("old handler");
      conn.close();
    }, { executor, onDispose: () => log.push("old disposed") });
    const first = exchange(addr);
    const second = exchange(addr);
    await executor.queued(2);
    assert.equal(log.length, 0, "nothing runs outside the executor");
    listener.setClientHandler(echoHandler);
    assert.equal(log.length, 0, "two calls are still posted");
    executor.runOne();
    assert.deepEqual(log, ["old handler"]);
    executor.runOne();
    assert.deepEqual(log, ["old handler", "old handler", "old disposed"]);
    await Promise.all([first, second]);
    assert.equal((await echo(addr, "new")).toString(), "new");
    assert.equal(executor.queue.length, 0);
  });

  test("posts onDispose to the executor when no call is pending", () => {
    const listener = new NetListener();
    const executor = new ManualExecutor();
    let disposed = 0;
    listener.setClientHandler(() => {}, {
      executor,
      onDispose: () => disposed++,
    });
    listener.setClientHandler(null);
    assert.equal(disposed, 0);
    executor.runOne();
    assert.equal(disposed, 1);
  });

  test("with no handler stops accepting; the next handler gets the waiting clients", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    listener.setClientHandler(echoHandler);
    assert.equal((await echo(addr, "one")).toString(), "one");
    listener.setClientHandler(null);
    const client = connectTo(addr);
    await connected(client);
    const reply = new Promise<string>((resolve) => {
      let text = "";
      client.on("data", (chunk) => text += chunk);
      client.on("close", () => resolve(text));
    });
    client.end("two");
    assert.equal(listener.connected, true);
    listener.setClientHandler(echoHandler);
    assert.equal(await reply, "two");
  });

  test("a throwing or rejecting handler never stops the listener", async () => {
    const errors: unknown[] = [];
    const reported = countdown(2);
    await using listener = new NetListener({
      onError: (error) => {
        errors.push(error);
        reported.tick();
      },
    });
    const [addr] = await listener.open("127.0.0.1:0");
    let calls = 0;
    listener.setClientHandler((conn) => {
      calls++;
      if (calls === 1) throw new Error("sync failure");
      if (calls === 2) return Promise.reject(new Error("async failure"));
      return echoHandler(conn);
    });
    // The failed handlers' connections are closed: the clients see the end.
    assert.equal((await exchange(addr)).data.length, 0);
    assert.equal((await exchange(addr)).data.length, 0);
    await reported.promise;
    assert.deepEqual(
      errors.map((error) => (error as Error).message),
      ["sync failure", "async failure"],
    );
    assert.equal((await echo(addr, "still here")).toString(), "still here");
    assert.equal(listener.stats.errors, 2);
  });

  test("an executor whose post() throws loses that connection only", async () => {
    const errors: unknown[] = [];
    await using listener = new NetListener({
      onError: (error) => errors.push(error),
    });
    const [addr] = await listener.open("127.0.0.1:0");
    const full = new Error("queue full");
    let posts = 0;
    let disposed = 0;
    const executor = {
      post(handler: () => unknown) {
        if (++posts === 1) throw full;
        queueMicrotask(handler);
      },
    };
    listener.setClientHandler(echoHandler, {
      executor,
      onDispose: () => disposed++,
    });
    // The first connection is closed at once; the listener goes on.
    assert.equal((await exchange(addr)).data.length, 0);
    assert.equal((await echo(addr, "next")).toString(), "next");
    assert.deepEqual(errors, [full]);
    assert.equal(listener.stats.errors, 1);
    assert.equal(listener.stats.active, 0);
    // An onDispose the executor cannot take runs at once.
    executor.post = () => {
      throw full;
    };
    listener.setClientHandler(null);
    assert.equal(disposed, 1);
    assert.deepEqual(errors, [full, full]);
  });

  test("reports handler errors with console.error by default", async () => {
    const original = console.error;
    const { promise, resolve } = Promise.withResolvers<unknown[]>();
    console.error = (...args: unknown[]) => resolve(args);
    try {
      await using listener = new NetListener({ name: "noisy" });
      const [addr] = await listener.open("127.0.0.1:0");
      const failure = new Error("handler failed");
      listener.setClientHandler(() => {
        throw failure;
      });
      await exchange(addr);
      const args = await promise;
      assert.ok(args.includes(failure));
      assert.match(String(args[0]), /noisy/);
    } finally {
      console.error = original;
    }
  });
});

describe("NetListener.waitClient and iteration", () => {
  test("waitClient takes connections before the handler", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    let handled = 0;
    listener.setClientHandler((conn) => {
      handled++;
      return echoHandler(conn);
    });
    const waiting = listener.waitClient();
    const client = connectTo(addr);
    await using conn = await waiting;
    assert.equal(handled, 0);
    assert.equal(conn.remoteAddr.transport, "tcp");
    client.destroy();
    assert.equal((await echo(addr, "handler")).toString(), "handler");
    assert.equal(handled, 1);
  });

  test("waitClient rejects with the signal's reason and gives up its turn", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    const controller = new AbortController();
    const aborted = listener.waitClient({ signal: controller.signal });
    controller.abort();
    await assert.rejects(aborted, { name: "AbortError" });
    await assert.rejects(
      listener.waitClient({ signal: AbortSignal.abort(new Error("early")) }),
      /early/,
    );
    const waiting = listener.waitClient();
    const client = connectTo(addr);
    await using conn = await waiting;
    assert.equal(conn.localAddr.transport, "tcp");
    client.destroy();
  });

  test("waitClient rejects when not listening, or on disconnect", async () => {
    const listener = new NetListener({ name: "idle" });
    await assert.rejects(
      listener.waitClient(),
      new Error("Cannot wait for a client as listener 'idle' is not listening"),
    );
    await listener.open("127.0.0.1:0");
    const waiting = listener.waitClient();
    await listener.disconnect();
    await assert.rejects(waiting, /is not listening/);
  });

  test("async iteration yields each client and ends on disconnect", async () => {
    const listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    const clients = ["a", "b", "c"].map((text) => echo(addr, text));
    const seen: string[] = [];
    for await (const conn of listener) {
      await conn.readable.pipeTo(conn.writable);
      seen.push("conn");
      if (seen.length === 3) break;
    }
    assert.deepEqual(
      (await Promise.all(clients)).map(String).sort(),
      ["a", "b", "c"],
    );
    const ended = (async () => {
      for await (const _ of listener) assert.fail("no client expected");
      return "ended";
    })();
    await listener.disconnect();
    assert.equal(await ended, "ended");
  });

  test("an iteration's return() ends a waiting next() without taking a client", async () => {
    await using listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    const iterator = listener[Symbol.asyncIterator]();
    const waiting = iterator.next();
    assert.deepEqual(await iterator.return!(), {
      done: true,
      value: undefined,
    });
    assert.deepEqual(await waiting, { done: true, value: undefined });
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    // The next client goes to the handler, not to the ended iteration.
    listener.setClientHandler(echoHandler);
    assert.equal((await echo(addr, "handled")).toString(), "handled");
  });
});

describe("NetListener.disconnect", () => {
  test("is idempotent and leaves accepted connections open", async () => {
    const { dir, remove } = socketDir();
    const path = join(dir, "d.sock");
    const listener = new NetListener();
    try {
      const [tcp, unix] = await listener.open(["127.0.0.1:0", `unix:${path}`]);
      const client = connectTo(tcp);
      const conn = await listener.waitClient();
      await Promise.all([listener.disconnect(), listener.disconnect()]);
      await listener.disconnect();
      assert.equal(listener.connected, false);
      assert.deepEqual(listener.addrs, []);
      assert.equal(existsSync(path), false);
      assert.equal(unix?.transport, "unix");
      const refused = await exchange(tcp, "x");
      assert.equal(
        (refused.error as { code?: string } | undefined)?.code,
        "ECONNREFUSED",
      );
      // The accepted connection still echoes.
      const reply = new Promise<string>((resolve) => {
        let text = "";
        client.on("data", (chunk) => text += chunk);
        client.on("close", () => resolve(text));
      });
      client.end("after disconnect");
      await conn.readable.pipeTo(conn.writable);
      assert.equal(await reply, "after disconnect");
      assert.equal(listener.stats.active, 0);
      // And the listener can listen again.
      const [again] = await listener.open("127.0.0.1:0");
      listener.setClientHandler(echoHandler);
      assert.equal((await echo(again, "again")).toString(), "again");
    } finally {
      await listener[Symbol.asyncDispose]();
      remove();
    }
  });

  test("asyncDispose clears the handler and closes clients nobody took", async () => {
    let disposed = 0;
    const listener = new NetListener();
    const [addr] = await listener.open("127.0.0.1:0");
    listener.setClientHandler(echoHandler, { onDispose: () => disposed++ });
    assert.equal((await echo(addr, "x")).toString(), "x");
    await listener[Symbol.asyncDispose]();
    assert.equal(disposed, 1);
    assert.equal(listener.connected, false);
  });
});

describe("NetListener.maxConnections", () => {
  test("closes connections past the limit at once and counts them", async () => {
    await using listener = new NetListener({ maxConnections: 2 });
    const [addr] = await listener.open("127.0.0.1:0");
    const held: Connection[] = [];
    const twoHeld = countdown(2);
    listener.setClientHandler((conn) => {
      if (held.length < 2) {
        held.push(conn);
        twoHeld.tick();
        return;
      }
      return echoHandler(conn);
    });
    const clients = [connectTo(addr), connectTo(addr)];
    const clientsClosed = clients.map(closed);
    await twoHeld.promise;
    assert.deepEqual(listener.stats, {
      accepted: 2,
      rejected: 0,
      active: 2,
      errors: 0,
    });
    const rejected = await exchange(addr);
    assert.equal(rejected.data.length, 0);
    assert.equal(listener.stats.rejected, 1);
    held[0]?.close();
    assert.equal(listener.stats.active, 1);
    assert.equal((await echo(addr, "room again")).toString(), "room again");
    held[1]?.close();
    await Promise.all(clientsClosed);
    assert.deepEqual(listener.stats, {
      accepted: 3,
      rejected: 1,
      active: 0,
      errors: 0,
    });
  });
});

describe("NetListener under load", () => {
  test("echoes 1000 concurrent clients over 2 addresses, losing none", async () => {
    const { dir, remove } = socketDir();
    const fdsBefore = openFds();
    const total = 1000;
    const concurrency = 100;
    const listener = new NetListener({ name: "load" });
    try {
      const addrs = await listener.open([
        "127.0.0.1:0",
        { transport: "unix", path: join(dir, "load.sock") },
      ]);
      const handled = countdown(total);
      listener.setClientHandler(async (conn) => {
        await conn.readable.pipeTo(conn.writable);
        handled.tick();
      });
      let next = 0;
      let intact = 0;
      const worker = async () => {
        while (next < total) {
          const id = next++;
          const payload = `client ${id} `.repeat(1 + (id % 50));
          const reply = await echo(addrs[id % addrs.length], payload);
          assert.equal(reply.toString(), payload, `client ${id}`);
          intact++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      await handled.promise;
      assert.equal(intact, total);
      await listener.disconnect();
      assert.deepEqual(listener.stats, {
        accepted: total,
        rejected: 0,
        active: 0,
        errors: 0,
      });
    } finally {
      await listener[Symbol.asyncDispose]();
      remove();
    }
    const fdsAfter = openFds();
    if (fdsBefore !== undefined && fdsAfter !== undefined) {
      // Nothing of the 1000 connections or the 2 listening sockets remains
      // (a few descriptors of slack for the runtime's own housekeeping).
      assert.ok(fdsAfter <= fdsBefore + 4, `${fdsBefore} -> ${fdsAfter}`);
    }
  });
});
