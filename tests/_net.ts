// Copyright 2026 the iox authors. MIT license.
// Loopback clients for the listener tests, on node:net so that one suite
// runs on Deno and Bun.
import { connect, createServer, type Socket } from "node:net";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import process from "node:process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Addr, Connection } from "../src/listener.ts";

/** Connects a node:net client to `addr`. */
export function connectTo(addr: Addr | undefined): Socket {
  if (addr === undefined) throw new Error("no address");
  return addr.transport === "unix"
    ? connect(addr.path)
    : connect(addr.port, addr.hostname);
}

/** `addr` as `host:port` (no brackets) or `unix:path`. */
export function label(addr: Addr): string {
  return addr.transport === "unix"
    ? `unix:${addr.path}`
    : `${addr.hostname}:${addr.port}`;
}

/**
 * A client handler that writes who the peer is (its `remoteAddr`, as
 * {@linkcode label} shows it) on a line, then echoes through the standard
 * pipe.
 */
export async function whoAndEcho(conn: Connection): Promise<void> {
  const writer = conn.writable.getWriter();
  await writer.write(new TextEncoder().encode(`${label(conn.remoteAddr)}\n`));
  writer.releaseLock();
  await conn.readable.pipeTo(conn.writable);
}

/** What a client got back: the bytes, and the error if the socket failed. */
export interface Exchange {
  data: Buffer;
  error?: Error;
}

/**
 * Sends `payload` (then FIN) and collects everything until the socket
 * closes. Without a payload, sends nothing and waits for the server to close.
 */
export function exchange(
  addr: Addr | undefined,
  payload?: string | Uint8Array,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connectTo(addr);
    const chunks: Buffer[] = [];
    let error: Error | undefined;
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (e) => error = e);
    socket.on("close", () => {
      const data = Buffer.concat(chunks);
      resolve(error ? { data, error } : { data });
    });
    if (payload !== undefined) socket.end(payload);
  });
}

/** Sends `payload` and resolves with the echo, rejecting on any error. */
export async function echo(
  addr: Addr | undefined,
  payload: string | Uint8Array,
): Promise<Buffer> {
  const { data, error } = await exchange(addr, payload);
  if (error) throw error;
  return data;
}

/** Resolves once the client is connected. */
export function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
}

/** Resolves once the client socket closed. */
export function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once("close", () => resolve()));
}

/** True if a socket can listen on the IPv6 loopback here. */
export function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "::1", port: 0 }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A fresh directory for Unix sockets, and a function removing it. */
export function socketDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "iox-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How many file descriptors this process has open, where /proc tells. */
export function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

/** A promise with its resolve function, resolved after `count` calls. */
export function countdown(count: number): {
  promise: Promise<void>;
  tick(): void;
} {
  const { promise, resolve } = Promise.withResolvers<void>();
  let left = count;
  if (left <= 0) resolve();
  return {
    promise,
    tick() {
      if (--left === 0) resolve();
    },
  };
}

/** Starts a process that listens on `path` and kills it: a stale socket. */
export async function staleSocket(path: string): Promise<void> {
  const script =
    `import { createServer } from "node:net"; createServer().listen(${
      JSON.stringify(path)
    }, () => console.log("ready"));`;
  const args = "Bun" in globalThis ? ["-e", script] : ["eval", script];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`child exited ${code}`)));
  });
  child.kill("SIGKILL");
  await exited;
  if (!existsSync(path)) {
    throw new Error("the killed server left no socket file");
  }
}
