// Copyright 2026 the iox authors. MIT license.
/**
 * What lies under a {@linkcode Connection}: the socket addresses and the
 * {@linkcode ConnectionTransport} interface that iox builds from a Deno or
 * Bun socket.
 *
 * @module
 */

/** A TCP endpoint, as Deno reports it. */
export interface NetAddr {
  /** Always `"tcp"`. */
  transport: "tcp";
  /** The IP address, e.g. `"127.0.0.1"` or `"::1"` (no brackets). */
  hostname: string;
  /** The port number. */
  port: number;
}

/** A Unix domain socket endpoint, as Deno reports it. */
export interface UnixAddr {
  /** Always `"unix"`. */
  transport: "unix";
  /** The socket file's path; `""` for an unnamed (client) socket. */
  path: string;
}

/** A socket endpoint: TCP or Unix. */
export type Addr = NetAddr | UnixAddr;

/**
 * The byte transport under a {@linkcode Connection}: what iox builds from a
 * Deno or Bun socket. Implement it to give `Connection`'s methods, streams
 * and `watch` to another byte source (a test double, for example). Errors
 * it rejects with reach the caller as they are: iox's own transports
 * reject with a `ConnectionError`.
 */
export interface ConnectionTransport {
  /** This side's address. */
  readonly localAddr: Addr;
  /** The peer's address. */
  readonly remoteAddr: Addr;
  /**
   * The protocol chosen by TLS's ALPN, `null` when none was (or for plain
   * TCP and Unix sockets). Leave it out for `null`.
   */
  readonly alpnProtocol?: string | null;
  /**
   * The next chunk of bytes, or `null` at the end of the stream (also after
   * {@linkcode ConnectionTransport.close}). Never called again before the
   * previous call (or {@linkcode ConnectionTransport.readInto} call)
   * settled.
   *
   * @returns The chunk, which the caller owns, or `null`.
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Reads straight into `buffer`, as `Deno.Conn.read` does: the number of
   * bytes read, at least 1, or `null` at the end of the stream. Optional:
   * without it {@linkcode Connection.read} copies from
   * {@linkcode ConnectionTransport.read}'s chunks. The same one-at-a-time
   * rule holds.
   *
   * @param buffer Where to put the bytes; not empty.
   * @returns How many bytes were read, or `null`.
   */
  readInto?(buffer: Uint8Array): Promise<number | null>;
  /**
   * Writes every byte of `chunk`; resolves once all were taken. Never called
   * again before the previous call settled.
   *
   * @param chunk The bytes to send.
   * @returns A promise that resolves when the bytes were taken.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Shuts down the sending side after the writes so far.
   *
   * @returns A promise that resolves when the shutdown was sent.
   */
  closeWrite(): Promise<void>;
  /**
   * Turns Nagle's algorithm off (`true`) or on; optional, for TCP only.
   *
   * @param on Whether small writes go out at once.
   */
  setNoDelay?(on: boolean): void;
  /**
   * Turns TCP keep-alive probes on or off; optional, for TCP only.
   *
   * @param on Whether the kernel probes an idle peer.
   */
  setKeepAlive?(on: boolean): void;
  /**
   * Releases the socket; called exactly once. Like closing a socket, the
   * bytes written so far still reach the peer, followed by the end of the
   * stream: after the peer's end of stream, `Connection` closes without a
   * {@linkcode ConnectionTransport.closeWrite} first.
   */
  close(): void;
}
