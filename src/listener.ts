// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode NetListener}: QEMU's `QIONetListener` for Deno and Bun. One
 * object listens on many sockets (TCP over IPv4 and IPv6, Unix) and hands
 * every accepted connection, as a {@linkcode Connection}, to one place: a
 * client handler, a {@linkcode NetListener.waitClient} call or an async
 * iteration. Built on `Deno.listen` under Deno and `Bun.listen` under Bun.
 *
 * Guarantees:
 * - `open()` is all-or-nothing: either every address listens, or the sockets
 *   this call opened are closed again and the call rejects with an error
 *   naming the address that failed. Bad arguments reject with a `TypeError`
 *   or `RangeError` before any socket is opened.
 * - A hostname listens on every address it resolves to, all on the same
 *   port: with port 0, the first address gets a port from the system and
 *   the others bind that same port (if one of them finds it taken, the
 *   group is retried with a new port, up to 8 times).
 * - Who gets a connection: pending `waitClient()` calls and iterations
 *   first, in the order they started waiting (as QEMU's `wait_client` takes
 *   precedence over the client function); then the client handler. With
 *   neither, the listener stops accepting: under Deno new connections wait
 *   in the kernel's backlog; under Bun, which accepts by itself, they wait
 *   (paused past 64 KiB of input) in the listener. Either way they go to the
 *   next handler, `waitClient()` or iteration, in arrival order, unless
 *   `disconnect()` comes first: it closes them, as closing a listening
 *   socket resets the connections in its backlog.
 * - The handler is called once per connection, synchronously on accept or,
 *   with an `executor`, posted to it. A handler that throws or rejects
 *   never stops the listener: the connection it was given is closed, the
 *   error goes to `onError` and is counted in `stats.errors`. So does an
 *   executor whose `post()` throws (a full or closed queue) for that
 *   connection; an `onDispose` it cannot take is called at once.
 * - Replacing or clearing the handler calls the old `onDispose` exactly
 *   once, after the old handler can no longer be called: at once, or (with
 *   an `executor`) posted to that executor once every call already posted
 *   there has run.
 * - `maxConnections` bounds the connections accepted and not yet closed
 *   (those still sending a PROXY protocol header included); past it a new
 *   connection is counted in `stats.rejected` and closed at once, or first
 *   handed to `onReject`, which may answer it, and closed once `onReject`
 *   returns or its promise settles (at most `maxConnections` are answered
 *   at a time; past that they are closed at once). A refused connection
 *   never reaches the handler or a waiter and does not count in
 *   `stats.active`.
 * - With `proxyProtocol`, a connection is handed out only once its whole
 *   PROXY protocol header (v1 or v2) has arrived, with `remoteAddr` the
 *   client it names (the socket's own for a v2 LOCAL or v1 UNKNOWN header)
 *   and its first bytes those right after the header, through the streams
 *   and every other way of reading. A connection whose header is malformed,
 *   incomplete at its end, or not complete within
 *   `PROXY_HEADER_TIMEOUT_MS` is closed, counted in `stats.rejected` and
 *   reported to `onError` (a "TimeoutError" `DOMException` for the last).
 *   Such a listener refuses addresses with `tls` (the header would come
 *   before the handshake).
 * - `disconnect()` stops accepting and closes every listening socket (a Unix
 *   socket's file is removed); it leaves accepted connections open, ends
 *   iterations and rejects pending `waitClient()` calls. It is idempotent and
 *   resolves once no accept is in progress. `await using` disconnects,
 *   clears the handler and closes connections that nobody took.
 * - `shutdown({ timeoutMs })` disconnects, then waits until every accepted
 *   connection is closed, leaving them working meanwhile (a request in
 *   flight completes intact); at `timeoutMs` (default
 *   `SHUTDOWN_TIMEOUT_MS`) it closes those still open, as `close()` does. It
 *   resolves once `stats.active` is 0.
 * - With `removeStaleSocket`, `open()` replaces a Unix socket file only
 *   after a connection to it was refused (its server is gone); a socket a
 *   process listens on, or a file that is no socket, is left alone and the
 *   address fails with `EADDRINUSE`.
 * - An address with `tls` serves TLS (`Deno.listenTls`, `Bun.listen`'s
 *   `tls`), beside plain TCP and Unix addresses on the same listener. A
 *   connection is handed out once its handshake completed
 *   (`conn.alpnProtocol` tells what ALPN chose); a handshake that fails or
 *   does not complete within `tls.handshakeTimeoutMs` drops that connection
 *   and goes to `onError` as a `ConnectionError` (`"EPROTO"`,
 *   `"ETIMEDOUT"`); accepting goes on.
 * - With `idleTimeoutMs`, every accepted connection is closed once nothing
 *   was read or written on it for that long (see {@linkcode Connection}).
 *
 * {@linkcode ListenerPool} gives every core to one TCP server: `threads`
 * Web Workers each run the default export of a module as the client handler
 * of their own NetListener, on the same addresses with SO_REUSEPORT, and
 * the kernel spreads the connections across them. Guarantees:
 * - `open()` is all-or-nothing across the workers: the first binds the
 *   addresses (port 0 gets a free port) and the others join those ports;
 *   if any fails, the workers this call started are ended. A Unix address
 *   is a `TypeError`: workers cannot share one. Under Deno, `reusePort`
 *   needs `--unstable-net` (or `"unstable": ["net"]` in deno.json); without
 *   it `open()` rejects before any socket is bound, since Deno would
 *   otherwise exit the whole process.
 * - A worker that dies (an uncaught error, `self.close()`, an exit) takes
 *   its connections with it and is replaced; the others go on serving.
 *   `onError` hears of it as a `WorkerCrashedError`.
 * - `disconnect()` stops listening and leaves connections to finish;
 *   `shutdown()` waits for them (up to `timeoutMs`); `close()` and
 *   `await using` end every worker at once. After `close()` no worker is
 *   left and the process can exit.
 *
 * @example Echo server on IPv4 and IPv6 loopback
 * ```ts
 * import { NetListener } from "@iox/iox/listener";
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 *
 * await using listener = new NetListener({ name: "echo" });
 * const addrs = await listener.open("127.0.0.1:0");
 * listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));
 * const [addr] = addrs;
 * assert.equal(addr?.transport, "tcp");
 * const client = connect(addr.port, addr.hostname);
 * client.end("hello");
 * let echo = "";
 * for await (const chunk of client) echo += chunk;
 * assert.equal(echo, "hello");
 * ```
 *
 * @module
 */

export * from "./net/listener.ts";
export * from "./net/listener_pool.ts";
export { TLS_HANDSHAKE_TIMEOUT_MS, type TlsListenOptions } from "./net/_tls.ts";
export {
  type Addr,
  Connection,
  type ConnectionOptions,
  type ConnectionTransport,
  type NetAddr,
  type UnixAddr,
} from "./net/connection.ts";
export {
  ConnectionError,
  type ConnectionErrorCode,
  type ConnectionErrorOptions,
} from "./net/connection_error.ts";
export {
  IOCondition,
  type IOWatch,
  watch,
  type WatchCallback,
  type WatchOptions,
} from "./net/watch.ts";
