// Copyright 2026 the iox authors. MIT license.
// NetListener: accepting on many sockets. Guarantees: ../listener.ts.

import { Connection } from "./connection.ts";
import type { Addr, ConnectionTransport } from "./connection.ts";
import { net, type RawListener, resolver } from "../_runtime/net.ts";
import {
  formatValue,
  notAnAbortSignal,
  optionsObject,
} from "../_util/validate.ts";
import { isIpLiteral } from "./_ip.ts";
import { internals } from "./_listener_internals.ts";

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
}

/** A Unix domain socket to listen on. */
export interface UnixListenAddress {
  /** Always `"unix"`. */
  transport: "unix";
  /** The socket file to create; it must not exist. */
  path: string;
}

/**
 * An address for {@linkcode NetListener.open}: an object, or a string
 * `"host:port"`, `"[ipv6]:port"` or `"unix:path"`.
 */
export type ListenAddress = string | TcpListenAddress | UnixListenAddress;

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
   * Receives what goes wrong without a caller to reject: a client handler
   * that throws or rejects, an `onDispose` that throws, a failed accept.
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
  /** Connections closed at once because `maxConnections` was reached. */
  rejected: number;
  /** Accepted connections not yet closed. */
  active: number;
  /**
   * Client handlers that threw or rejected, or could not be posted to their
   * executor.
   */
  errors: number;
}

interface Registration {
  handler: ClientHandler;
  executor: HandlerExecutor | undefined;
  onDispose: (() => void) | undefined;
  pending: number;
  disposed: boolean;
}

interface Waiter {
  settle(conn: Connection | null): void;
}

type Bind =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

interface Spec {
  label: string;
  bind: Bind;
}

const PORT_RETRIES = 8;
const MAX_BACKOFF_MS = 1000;

function checkPort(port: unknown, where: string): number {
  if (typeof port !== "number") {
    throw new TypeError(
      `Cannot open listener${where} as 'port' must be an integer in 0..65535: current value is ${
        formatValue(port)
      }`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot open listener${where} as 'port' must be an integer in 0..65535: current value is ${port}`,
    );
  }
  return port;
}

// A host name of letters, digits, '-' and '_' in dot-separated labels, or
// an IPv6 literal (hex digits and colons, an embedded IPv4 part, a zone).
const HOST_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$/;

function checkHostname(hostname: string, where: string): string {
  if (!HOST_NAME.test(hostname) && !IPV6.test(hostname)) {
    throw new TypeError(
      `Cannot open listener${where} as 'hostname' must be a host name or an IP address: current value is ${
        formatValue(hostname)
      }`,
    );
  }
  return hostname;
}

function checkPath(path: string): string {
  if (path.includes("\0")) {
    throw new TypeError(
      `Cannot open listener as 'path' must not contain a NUL character: current value is ${
        formatValue(path)
      }`,
    );
  }
  return path;
}

function tcpLabel(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

function parseString(address: string): Spec {
  if (address.startsWith("unix:")) {
    const path = address.slice("unix:".length);
    if (path === "") {
      throw new TypeError(
        `Cannot open listener as address 'unix:' must name a socket path`,
      );
    }
    return {
      label: address,
      bind: { transport: "unix", path: checkPath(path) },
    };
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
      `Cannot open listener as address '${address}' must be 'host:port', '[ipv6]:port' or 'unix:path'`,
    );
  }
  const where = ` on '${address}'`;
  return {
    label: address,
    bind: {
      transport: "tcp",
      hostname: checkHostname(hostname, where),
      port: checkPort(/^[-+]?\d+$/.test(port) ? Number(port) : port, where),
    },
  };
}

function parseObject(address: Record<string, unknown>): Spec {
  const { transport } = address;
  if (transport === "unix") {
    const { path } = address;
    if (typeof path !== "string" || path === "") {
      throw new TypeError(
        `Cannot open listener as 'path' must be a non-empty string: current value is ${
          formatValue(path)
        }`,
      );
    }
    return {
      label: `unix:${path}`,
      bind: { transport: "unix", path: checkPath(path) },
    };
  }
  if (transport !== undefined && transport !== "tcp") {
    throw new TypeError(
      `Cannot open listener as 'transport' must be "tcp" or "unix": current value is ${
        formatValue(transport)
      }`,
    );
  }
  const port = checkPort(address.port, "");
  const given = address.hostname ?? "0.0.0.0";
  if (typeof given !== "string" || given === "") {
    throw new TypeError(
      `Cannot open listener as 'hostname' must be a non-empty string: current value is ${
        formatValue(given)
      }`,
    );
  }
  const bracketed = /^\[(.*:.*)\]$/.exec(given);
  const hostname = checkHostname(bracketed ? bracketed[1]! : given, "");
  return {
    label: tcpLabel(hostname, port),
    bind: { transport: "tcp", hostname, port },
  };
}

function parse(address: unknown): Spec {
  if (typeof address === "string") return parseString(address);
  if (typeof address === "object" && address !== null) {
    return parseObject(address as Record<string, unknown>);
  }
  throw new TypeError(
    `Cannot open listener as an address must be a string or an object: current value is ${
      formatValue(address)
    }`,
  );
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function openError(spec: Spec, error: unknown, bound?: string): Error {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const at = bound !== undefined && bound !== spec.label ? ` (${bound})` : "";
  return new Error(
    `Cannot open listener on '${spec.label}'${at}: ${
      code && !message.includes(code) ? `${code}: ` : ""
    }${message}`,
    { cause: error },
  );
}

// Counts the connection as active until its socket is released.
class CountedTransport implements ConnectionTransport {
  readonly localAddr: Addr;
  readonly remoteAddr: Addr;
  #inner: ConnectionTransport;
  #release: () => void;

  constructor(inner: ConnectionTransport, release: () => void) {
    this.#inner = inner;
    this.#release = release;
    this.localAddr = inner.localAddr;
    this.remoteAddr = inner.remoteAddr;
  }

  read(): Promise<Uint8Array | null> {
    return this.#inner.read();
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.#inner.write(chunk);
  }

  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }

  close(): void {
    this.#inner.close();
    this.#release();
  }
}

/**
 * Listens on many sockets and hands every accepted connection to one client
 * handler: QEMU's `QIONetListener`. See the module documentation for the
 * guarantees.
 *
 * @example Two addresses, one handler
 * ```ts
 * import { NetListener } from "@iox/iox/listener";
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 *
 * await using listener = new NetListener();
 * const addrs = await listener.open(["127.0.0.1:0", "127.0.0.1:0"]);
 * assert.equal(addrs.length, 2);
 * const greeted: number[] = [];
 * listener.setClientHandler(async (conn) => {
 *   if (conn.localAddr.transport === "tcp") greeted.push(conn.localAddr.port);
 *   const writer = conn.writable.getWriter();
 *   await writer.write(new TextEncoder().encode("hi"));
 *   await writer.close();
 *   conn.close();
 * });
 * for (const addr of addrs) {
 *   assert.equal(addr.transport, "tcp");
 *   let text = "";
 *   for await (const chunk of connect(addr.port, "127.0.0.1")) text += chunk;
 *   assert.equal(text, "hi");
 * }
 * assert.deepEqual(greeted, addrs.map((addr) => addr.transport === "tcp" && addr.port));
 * ```
 */
export class NetListener implements AsyncDisposable, AsyncIterable<Connection> {
  #name: string;
  #maxConnections: number;
  #onError: (error: unknown) => void;
  #raws = new Set<RawListener>();
  #disconnects = 0;
  #loops = new Set<Promise<void>>();
  #wake: PromiseWithResolvers<void> | null = null;
  #sleepers = new Set<() => void>();
  #handler: Registration | null = null;
  #waiters: Waiter[] = [];
  #ready: Connection[] = [];
  #accepted = 0;
  #rejected = 0;
  #active = 0;
  #errors = 0;
  #release = () => void this.#active--;
  #reusePort = false;

  static {
    internals.shareTcpPorts = (listener: NetListener): void => {
      listener.#reusePort = true;
    };
  }

  /**
   * Creates a listener that listens nowhere yet: call
   * {@linkcode NetListener.open} or {@linkcode NetListener.add}.
   *
   * @param options The `name`, `maxConnections` and `onError`.
   * @throws {TypeError} If `name` is not a string or `onError` not a function.
   * @throws {RangeError} If `maxConnections` is not a positive integer or `Infinity`.
   */
  constructor(options?: NetListenerOptions) {
    const { name = "net-listener", maxConnections = Infinity, onError } =
      optionsObject(options, "create listener");
    if (typeof name !== "string") {
      throw new TypeError(
        `Cannot create listener as 'name' must be a string: current value is ${
          formatValue(name)
        }`,
      );
    }
    if (
      typeof maxConnections !== "number" ||
      !(Number.isInteger(maxConnections) || maxConnections === Infinity) ||
      maxConnections < 1
    ) {
      throw new RangeError(
        `Cannot create listener as 'maxConnections' must be a positive integer: current value is ${
          formatValue(maxConnections)
        }`,
      );
    }
    if (onError !== undefined && typeof onError !== "function") {
      throw new TypeError(
        `Cannot create listener as 'onError' must be a function: current value is ${
          formatValue(onError)
        }`,
      );
    }
    this.#name = name;
    this.#maxConnections = maxConnections;
    this.#onError = onError ??
      ((error) => console.error(`NetListener '${name}':`, error));
  }

  /** The name given to the constructor. */
  get name(): string {
    return this.#name;
  }

  /** True while at least one socket listens. */
  get connected(): boolean {
    return this.#raws.size > 0;
  }

  /** Where the listener listens now, with the real ports, in opening order. */
  get addrs(): Addr[] {
    return [...this.#raws].map((raw) => raw.addr);
  }

  /** A snapshot of the counters. */
  get stats(): NetListenerStats {
    return {
      accepted: this.#accepted,
      rejected: this.#rejected,
      active: this.#active,
      errors: this.#errors,
    };
  }

  /**
   * Starts listening on one or more addresses, all-or-nothing. May be called
   * again to listen on more.
   *
   * @example Usage
   * ```ts
   * import { NetListener } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   *
   * await using listener = new NetListener();
   * const [addr] = await listener.open({ hostname: "127.0.0.1", port: 0 });
   * assert.equal(addr?.transport, "tcp");
   * assert.ok(addr.port > 0);
   * await assert.rejects(listener.open(["127.0.0.1:0", `127.0.0.1:${addr.port}`]), /127\.0\.0\.1:\d+/);
   * assert.equal(listener.addrs.length, 1);
   * ```
   *
   * @param addresses One address or a non-empty list.
   * @returns The addresses this call listens on, with the real ports; a
   * hostname gives one per address it resolved to.
   * @throws {TypeError} If the list is empty or an address is malformed.
   * @throws {RangeError} If a port is not an integer in 0..65535.
   * @throws {Error} If an address cannot be resolved or bound; its `cause`
   * is the runtime's error.
   * @throws {DOMException} Named "AbortError" if `disconnect()` was called
   * while this call was still opening: what it opened is closed again.
   */
  async open(addresses: ListenAddress | ListenAddress[]): Promise<Addr[]> {
    const list = Array.isArray(addresses) ? addresses : [addresses];
    if (list.length === 0) {
      throw new TypeError(
        "Cannot open listener as the address list is empty",
      );
    }
    const specs = list.map(parse);
    const opened: RawListener[] = [];
    const epoch = this.#disconnects;
    try {
      for (const spec of specs) opened.push(...await this.#bind(spec));
      // A disconnect() that resolved while this call was binding (a name
      // lookup is asynchronous) must not be undone by it.
      if (this.#disconnects !== epoch) {
        throw new DOMException(
          "Cannot open listener as it was disconnected while opening",
          "AbortError",
        );
      }
    } catch (error) {
      for (const raw of opened) raw.close();
      throw error;
    }
    for (const raw of opened) this.#start(raw);
    return opened.map((raw) => raw.addr);
  }

  /**
   * Takes over a listening socket created by the runtime's own API: a
   * `Deno.Listener` (TCP or Unix) under Deno; under Bun, a listener from
   * `Bun.listen`, whose socket handlers are replaced (add it before any
   * client connects, and create it with `allowHalfOpen: true` to keep
   * half-close). The listener owns it from now on.
   *
   * @example Usage
   * ```ts ignore
   * import { NetListener } from "@iox/iox/listener";
   *
   * const listener = new NetListener();
   * listener.add(Deno.listen({ hostname: "127.0.0.1", port: 0 }));
   * ```
   *
   * @param listener The runtime's listener.
   * @returns Where it listens.
   * @throws {TypeError} If `listener` is not one of the runtime's listeners.
   */
  add(listener: object): Addr {
    const raw = typeof listener === "object" && listener !== null
      ? net.adopt(listener)
      : null;
    if (raw === null) {
      throw new TypeError(
        `Cannot add listener as it must be ${net.adoptable}: current value is ${
          formatValue(listener)
        }`,
      );
    }
    this.#start(raw);
    return raw.addr;
  }

  /**
   * Sets the one function that receives accepted connections (`null`
   * clears it and stops accepting, without closing any socket). The old
   * handler's `onDispose` is called exactly once, after it can no longer be
   * called. Connections that were waiting for a handler go to the new one
   * at once, in arrival order.
   *
   * @example Usage
   * ```ts
   * import { NetListener } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   *
   * const listener = new NetListener();
   * let disposed = 0;
   * listener.setClientHandler((conn) => conn.close(), { onDispose: () => disposed++ });
   * listener.setClientHandler(null);
   * assert.equal(disposed, 1);
   * ```
   *
   * @param handler The handler, or `null`.
   * @param options The `executor` to post calls to and the `onDispose` callback.
   * @throws {TypeError} If `handler`, `executor.post` or `onDispose` has the wrong type.
   */
  setClientHandler(
    handler: ClientHandler | null,
    options?: ClientHandlerOptions,
  ): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError(
        `Cannot set client handler as it must be a function or null: current value is ${
          formatValue(handler)
        }`,
      );
    }
    const { executor, onDispose } = optionsObject(
      options,
      "set client handler",
    );
    if (executor !== undefined && typeof executor?.post !== "function") {
      throw new TypeError(
        `Cannot set client handler as 'executor' must have a post() method: current value is ${
          formatValue(executor)
        }`,
      );
    }
    if (onDispose !== undefined && typeof onDispose !== "function") {
      throw new TypeError(
        `Cannot set client handler as 'onDispose' must be a function: current value is ${
          formatValue(onDispose)
        }`,
      );
    }
    const old = this.#handler;
    const current: Registration | null = handler === null ? null : {
      handler,
      executor,
      onDispose,
      pending: 0,
      disposed: false,
    };
    this.#handler = current;
    if (old !== null) {
      old.disposed = true;
      if (old.pending === 0) this.#dispose(old, true);
    }
    if (current === null) return;
    while (this.#handler === current) {
      const conn = this.#ready.shift();
      if (conn === undefined) break;
      this.#invoke(current, conn);
    }
    this.#wakeLoops();
  }

  /**
   * Waits for the next accepted connection, taking it before the client
   * handler would (QEMU's `qio_net_listener_wait_client`).
   *
   * @example Usage
   * ```ts
   * import { NetListener } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   * import { connect } from "node:net";
   *
   * await using listener = new NetListener();
   * const [addr] = await listener.open("127.0.0.1:0");
   * assert.equal(addr?.transport, "tcp");
   * const client = connect(addr.port, "127.0.0.1");
   * await using conn = await listener.waitClient({ signal: AbortSignal.timeout(10_000) });
   * assert.equal(conn.localAddr.transport, "tcp");
   * client.destroy();
   * ```
   *
   * @param options The `signal` that stops waiting.
   * @returns The connection.
   * @throws {DOMException} The signal's reason, if it aborts first.
   * @throws {Error} If the listener is not listening (never opened, or
   * disconnected while waiting) and no accepted connection is waiting.
   */
  async waitClient(options?: WaitClientOptions): Promise<Connection> {
    const { signal } = optionsObject(options, "wait for a client");
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw notAnAbortSignal("Cannot wait for a client as 'signal'", signal);
    }
    signal?.throwIfAborted();
    const conn = await this.#take(signal);
    if (conn === null) {
      throw new Error(
        `Cannot wait for a client as listener '${this.#name}' is not listening`,
      );
    }
    return conn;
  }

  /**
   * Yields accepted connections, before the client handler would get them,
   * until the listener is disconnected.
   *
   * @example Usage
   * ```ts
   * import { NetListener } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   * import { connect } from "node:net";
   *
   * await using listener = new NetListener();
   * const [addr] = await listener.open("127.0.0.1:0");
   * assert.equal(addr?.transport, "tcp");
   * connect(addr.port, "127.0.0.1").end("x");
   * for await (const conn of listener) {
   *   await conn.readable.pipeTo(conn.writable);
   *   break;
   * }
   * ```
   *
   * @returns An async iterator of connections. Its `return()` (a `break`
   * out of `for await`) ends it at once, also while a `next()` waits: that
   * `next()` then reports the end and takes no connection.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Connection> {
    const stop = new AbortController();
    const end: IteratorReturnResult<undefined> = {
      done: true,
      value: undefined,
    };
    const take = (signal: AbortSignal) => this.#take(signal);
    return {
      async next(): Promise<IteratorResult<Connection, undefined>> {
        if (stop.signal.aborted) return end;
        try {
          const conn = await take(stop.signal);
          return conn === null ? end : { done: false, value: conn };
        } catch (error) {
          if (stop.signal.aborted) return end;
          throw error;
        }
      },
      return(): Promise<IteratorReturnResult<undefined>> {
        stop.abort();
        return Promise.resolve(end);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /**
   * Stops accepting and closes every listening socket; accepted connections
   * stay open. Idempotent; the handler stays set, so a later
   * {@linkcode NetListener.open} resumes.
   *
   * @example Usage
   * ```ts
   * import { NetListener } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   *
   * const listener = new NetListener();
   * await listener.open("127.0.0.1:0");
   * await listener.disconnect();
   * await listener.disconnect();
   * assert.equal(listener.connected, false);
   * assert.deepEqual(listener.addrs, []);
   * ```
   *
   * @returns A promise that resolves once no accept is in progress.
   */
  async disconnect(): Promise<void> {
    this.#disconnects++;
    for (const raw of this.#raws) raw.close();
    this.#raws.clear();
    this.#wakeLoops();
    for (const wakeUp of this.#sleepers) wakeUp();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.settle(null);
    await Promise.all(this.#loops);
  }

  /**
   * Disconnects, clears the handler (calling its `onDispose`) and closes
   * the accepted connections that nobody took.
   *
   * @returns A promise that resolves when done.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
    this.setClientHandler(null);
    const ready = this.#ready;
    this.#ready = [];
    for (const conn of ready) conn.close();
  }

  async #bind(spec: Spec): Promise<RawListener[]> {
    const { bind } = spec;
    if (bind.transport === "unix") {
      try {
        return [net.listen(bind)];
      } catch (error) {
        throw openError(spec, error);
      }
    }
    let hosts: string[];
    if (isIpLiteral(bind.hostname)) {
      hosts = [bind.hostname];
    } else {
      try {
        hosts = await resolver.resolveHost(bind.hostname);
      } catch (error) {
        throw openError(spec, error);
      }
    }
    for (let attempt = 1;; attempt++) {
      const group: RawListener[] = [];
      let port = bind.port;
      let host: string | undefined;
      try {
        for (host of hosts) {
          const raw = net.listen({
            transport: "tcp",
            hostname: host,
            port,
            reusePort: this.#reusePort,
          });
          group.push(raw);
          if (port === 0 && raw.addr.transport === "tcp") port = raw.addr.port;
        }
        return group;
      } catch (error) {
        for (const raw of group) raw.close();
        const retry = bind.port === 0 && group.length > 0 &&
          codeOf(error) === "EADDRINUSE" && attempt < PORT_RETRIES;
        if (!retry) throw openError(spec, error, tcpLabel(host ?? "", port));
      }
    }
  }

  #start(raw: RawListener): void {
    this.#raws.add(raw);
    const loop: Promise<void> = this.#acceptLoop(raw).finally(() => {
      this.#loops.delete(loop);
    });
    this.#loops.add(loop);
  }

  async #acceptLoop(raw: RawListener): Promise<void> {
    let backoff = 0;
    try {
      while (this.#raws.has(raw)) {
        if (this.#handler === null && this.#waiters.length === 0) {
          await (this.#wake ??= Promise.withResolvers()).promise;
          continue;
        }
        let transport: ConnectionTransport | null;
        try {
          transport = await raw.accept();
          backoff = 0;
        } catch (error) {
          if (!this.#raws.has(raw)) break;
          // Out of file descriptors, say: report, back off, go on.
          this.#report(error);
          backoff = Math.min(Math.max(backoff * 2, 5), MAX_BACKOFF_MS);
          await this.#sleep(backoff);
          continue;
        }
        if (transport === null) break;
        this.#deliver(transport);
      }
    } finally {
      this.#raws.delete(raw);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wakeUp = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wakeUp);
        resolve();
      };
      const timer = setTimeout(wakeUp, ms);
      this.#sleepers.add(wakeUp);
    });
  }

  #wakeLoops(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.resolve();
  }

  #deliver(transport: ConnectionTransport): void {
    if (this.#active >= this.#maxConnections) {
      this.#rejected++;
      transport.close();
      return;
    }
    this.#accepted++;
    this.#active++;
    const conn = new Connection(new CountedTransport(transport, this.#release));
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.settle(conn);
    else if (this.#handler !== null) this.#invoke(this.#handler, conn);
    else this.#ready.push(conn);
  }

  #take(signal: AbortSignal | undefined): Promise<Connection | null> {
    const conn = this.#ready.shift();
    if (conn !== undefined) return Promise.resolve(conn);
    if (this.#raws.size === 0) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        settle(conn) {
          signal?.removeEventListener("abort", onAbort);
          resolve(conn);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#wakeLoops();
    });
  }

  #invoke(registration: Registration, conn: Connection): void {
    const { executor } = registration;
    if (executor === undefined) {
      this.#call(registration, conn);
      return;
    }
    registration.pending++;
    const done = () => {
      if (--registration.pending === 0 && registration.disposed) {
        this.#dispose(registration, false);
      }
    };
    try {
      executor.post(() => {
        try {
          this.#call(registration, conn);
        } finally {
          done();
        }
      });
    } catch (error) {
      // A full or closed queue: this connection cannot be handled.
      this.#handlerFailed(error, conn);
      done();
    }
  }

  #call(registration: Registration, conn: Connection): void {
    try {
      const result = registration.handler(conn, this) as
        | { then?: unknown }
        | null
        | undefined;
      if (typeof result?.then === "function") {
        Promise.resolve(result).then(
          undefined,
          (error) => this.#handlerFailed(error, conn),
        );
      }
    } catch (error) {
      this.#handlerFailed(error, conn);
    }
  }

  #handlerFailed(error: unknown, conn: Connection): void {
    this.#errors++;
    conn.close();
    this.#report(error);
  }

  #dispose(registration: Registration, post: boolean): void {
    const { onDispose, executor } = registration;
    if (onDispose === undefined) return;
    const call = () => {
      try {
        onDispose();
      } catch (error) {
        this.#report(error);
      }
    };
    if (post && executor !== undefined) {
      try {
        executor.post(call);
        return;
      } catch (error) {
        // onDispose runs exactly once: here, if it cannot run there.
        this.#report(error);
      }
    }
    call();
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch (failure) {
      console.error(failure);
    }
  }
}
