// Copyright 2026 the iox authors. MIT license.
// NetListener: accepting on many sockets. Guarantees: ../listener.ts.

import type { Connection, ConnectionOptions } from "./connection.ts";
import { ConnectionError } from "./connection_error.ts";
import type { Addr, ConnectionTransport } from "./connection.ts";
import { AcceptedSet } from "./_accepted.ts";
import { PROXY_HEADER_TIMEOUT_MS, readProxyHeader } from "./_proxy_protocol.ts";
import { bindAddress } from "./_bind.ts";
import { HandOff } from "./_hand_off.ts";
import {
  checkListenerOptions,
  type ClientHandler,
  type ClientHandlerOptions,
  type NetListenerOptions,
  type NetListenerStats,
  type ShutdownOptions,
  type WaitClientOptions,
} from "./listener_options.ts";
import { LongTimeout } from "../_util/long_timeout.ts";
import { net, type RawListener } from "../_runtime/net.ts";
import {
  argumentError,
  assertMs,
  notAFunction,
  notAnAbortSignal,
  optionsObject,
} from "../_util/validate.ts";
import { type ListenAddress, parseListenAddress } from "./_address.ts";
import { internals, listenerInternals } from "./_internals.ts";

export type {
  ListenAddress,
  TcpListenAddress,
  UnixListenAddress,
} from "./_address.ts";
export type * from "./listener_options.ts";

export { PROXY_HEADER_TIMEOUT_MS } from "./_proxy_protocol.ts";

/** How long {@linkcode NetListener.shutdown} waits by default, in ms. */
export const SHUTDOWN_TIMEOUT_MS = 30_000;

const MAX_BACKOFF_MS = 1000;

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
  #handOff: HandOff = new HandOff(
    this,
    (error) => this.#report(error),
    () => this.#wakeLoops(),
  );
  #connections = new AcceptedSet();
  #onReject: ((conn: Connection) => unknown) | undefined;
  #refusing = 0;
  #proxyProtocol: boolean;
  #removeStaleSocket: boolean;
  #accepted = 0;
  #rejected = 0;

  #connectionOptions: ConnectionOptions;
  #reusePort = false;

  static {
    listenerInternals.shareTcpPorts = (listener: NetListener): void => {
      listener.#reusePort = true;
    };
  }

  /**
   * Creates a listener that listens nowhere yet: call
   * {@linkcode NetListener.open} or {@linkcode NetListener.add}.
   *
   * @param options The `name`, `maxConnections`, `onReject`,
   * `proxyProtocol`, `removeStaleSocket`, `idleTimeoutMs` and `onError`.
   * @throws {TypeError} If `name` is not a string, `onReject` or `onError`
   * not a function, `proxyProtocol` or `removeStaleSocket` not a boolean,
   * `idleTimeoutMs` not a number.
   * @throws {RangeError} If `maxConnections` is not a positive integer or
   * `Infinity`, or `idleTimeoutMs` not positive.
   */
  constructor(options?: NetListenerOptions) {
    const {
      name,
      maxConnections,
      onReject,
      proxyProtocol,
      removeStaleSocket,
      onError,
      idleTimeoutMs,
    } = checkListenerOptions(options);
    this.#connectionOptions = { idleTimeoutMs };
    this.#name = name;
    this.#maxConnections = maxConnections;
    this.#onReject = onReject;
    this.#proxyProtocol = proxyProtocol;
    this.#removeStaleSocket = removeStaleSocket;
    this.#onError = onError;
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
      active: this.#connections.size,
      errors: this.#handOff.errors,
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
   * @throws {TypeError} If the list is empty or an address is malformed, or
   * has `tls` on a listener with `proxyProtocol`.
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
    const specs = list.map(parseListenAddress);
    for (const { label, bind } of specs) {
      // The header comes before the handshake, and the runtimes' TLS
      // listeners take the first bytes as the handshake.
      if (this.#proxyProtocol && bind.transport === "tcp" && bind.tls) {
        throw new TypeError(
          `Cannot open listener on '${label}' as 'tls' cannot be used with 'proxyProtocol': end TLS at the load balancer`,
        );
      }
    }
    const opened: RawListener[] = [];
    const epoch = this.#disconnects;
    try {
      for (const spec of specs) {
        opened.push(
          ...await bindAddress(spec, this.#removeStaleSocket, this.#reusePort),
        );
      }
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
      throw argumentError("Cannot add listener as it", net.adoptable, listener);
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
      throw argumentError(
        "Cannot set client handler as it",
        "a function or null",
        handler,
      );
    }
    const { executor, onDispose } = optionsObject(
      options,
      "set client handler",
    );
    if (executor !== undefined && typeof executor?.post !== "function") {
      throw argumentError(
        "Cannot set client handler as 'executor'",
        "an object with a post() method",
        executor,
      );
    }
    if (onDispose !== undefined && typeof onDispose !== "function") {
      throw notAFunction("Cannot set client handler as 'onDispose'", onDispose);
    }
    this.#handOff.setHandler(handler, executor, onDispose);
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
    const conn = await this.#handOff.take(signal, this.#raws.size > 0);
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
    return this.#handOff.iterate(() => this.#raws.size > 0);
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
    this.#handOff.endWaiters();
    await Promise.all(this.#loops);
  }

  /**
   * Stops gracefully: {@linkcode NetListener.disconnect}, then waits until
   * every accepted connection has closed; those still open after
   * `timeoutMs` are closed. Connections go on working meanwhile, so a
   * request in flight completes intact; one whose PROXY protocol header is
   * still being read is waited for as well, and handed out if it completes.
   *
   * @example Usage
   * ```ts
   * import { NetListener } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   * import { once } from "node:events";
   * import { connect } from "node:net";
   *
   * const listener = new NetListener();
   * const [addr] = await listener.open("127.0.0.1:0");
   * assert.equal(addr?.transport, "tcp");
   * listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));
   * const client = connect(addr.port, "127.0.0.1");
   * client.write("request");
   * assert.equal(String((await once(client, "data"))[0]), "request");
   * const stopped = listener.shutdown({ timeoutMs: 10_000 });
   * assert.equal(listener.connected, false);
   * client.end(); // the client is done: the echo closes its connection
   * await stopped;
   * assert.equal(listener.stats.active, 0);
   * ```
   *
   * @param options The `timeoutMs` after which the rest are closed.
   * @returns A promise that resolves once `stats.active` is 0.
   * @throws {TypeError} If `timeoutMs` is not a number.
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   */
  async shutdown(options?: ShutdownOptions): Promise<void> {
    const { timeoutMs = SHUTDOWN_TIMEOUT_MS } = optionsObject(
      options,
      "shut down listener",
    );
    assertMs(timeoutMs, "Cannot shut down listener as 'timeoutMs'", true);
    await this.disconnect();
    if (this.#connections.size === 0) return;
    const deadline = new LongTimeout(
      () => this.#connections.close(),
      timeoutMs,
    );
    try {
      await this.#connections.empty();
    } finally {
      deadline.clear();
    }
  }

  /**
   * Disconnects, clears the handler (calling its `onDispose`) and closes
   * the accepted connections that nobody took, those whose PROXY protocol
   * header is still being read included.
   *
   * @returns A promise that resolves when done.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
    this.setClientHandler(null);
    this.#connections.close(true);
    this.#handOff.closeQueued();
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
        if (!this.#handOff.wanted) {
          await (this.#wake ??= Promise.withResolvers()).promise;
          continue;
        }
        let transport: ConnectionTransport | null;
        try {
          transport = await raw.accept();
          backoff = 0;
        } catch (error) {
          if (!this.#raws.has(raw)) break;
          this.#report(error);
          // One connection's failed TLS handshake: the listener is fine.
          if (error instanceof ConnectionError) continue;
          // Out of file descriptors, say: back off, go on.
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
    if (this.#connections.size >= this.#maxConnections) {
      this.#rejected++;
      // Answers in progress are bounded too: past as many, close at once.
      if (
        this.#onReject === undefined || this.#refusing >= this.#maxConnections
      ) {
        transport.close();
      } else this.#refuse(transport);
      return;
    }
    const connections = this.#connections;
    if (!this.#proxyProtocol) {
      this.#handOut(connections.connect(transport, this.#connectionOptions));
      return;
    }
    connections.hold(transport);
    readProxyHeader(transport, PROXY_HEADER_TIMEOUT_MS).then((start) => {
      if (!connections.holds(transport)) return;
      this.#handOut(
        connections.connect(transport, this.#connectionOptions, start),
      );
    }, (error) => {
      // Closed meanwhile by shutdown() or disposal: not the client's fault.
      if (!connections.holds(transport)) return;
      connections.drop(transport);
      this.#rejected++;
      this.#report(error);
    });
  }

  #handOut(conn: Connection): void {
    this.#accepted++;
    this.#handOff.handOut(conn);
  }

  // A connection past maxConnections, answered by onReject and closed.
  async #refuse(transport: ConnectionTransport): Promise<void> {
    let conn: Connection | undefined;
    this.#refusing++;
    try {
      const start = this.#proxyProtocol
        ? await readProxyHeader(transport, PROXY_HEADER_TIMEOUT_MS)
        : undefined;
      conn = internals.accept(transport, this.#connectionOptions, start, null);
      await this.#onReject!(conn);
    } catch (error) {
      if (conn !== undefined) this.#handOff.errors++;
      this.#report(error);
    } finally {
      this.#refusing--;
      if (conn !== undefined) conn.close();
      else transport.close();
    }
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch (failure) {
      console.error(failure);
    }
  }
}
