// Copyright 2026 the iox authors. MIT license.
/**
 * An echo server on IPv4, IPv6 and a Unix socket with one NetListener.
 *
 * Run it: `deno run -A examples/echo_server.ts [port] [socket path]` or
 * `bun examples/echo_server.ts [port] [socket path]`; it prints each address
 * and stops on Ctrl-C. Try it with `nc 127.0.0.1 <port>`,
 * `nc ::1 <port>` or `nc -U echo.sock`.
 *
 * @module
 */
import process from "node:process";
import { type Addr, NetListener } from "../src/listener.ts";

/** Options for {@linkcode startEchoServer}. */
export interface EchoServerOptions {
  /** The TCP port for both loopback addresses; 0 picks a free one. */
  port?: number;
  /** The Unix socket's path. */
  path?: string;
  /** Also listen on the IPv6 loopback. */
  ipv6?: boolean;
  /** Where to print each address. */
  log?: (line: string) => void;
}

/** A running echo server. */
export interface EchoServer extends AsyncDisposable {
  /** Where it listens. */
  addrs: Addr[];
  /** Stops listening; connections in progress finish their echo. */
  close(): Promise<void>;
}

/** Starts the echo server and prints where it listens. */
export async function startEchoServer(
  options: EchoServerOptions = {},
): Promise<EchoServer> {
  const { port = 0, path = "echo.sock", ipv6 = true, log = console.log } =
    options;
  const listener = new NetListener({ name: "echo" });
  try {
    // IPv4 first, so that with port 0 IPv6 can take the same port.
    const [v4] = await listener.open(`127.0.0.1:${port}`);
    const same = v4?.transport === "tcp" ? v4.port : port;
    await listener.open([...(ipv6 ? [`[::1]:${same}`] : []), `unix:${path}`]);
  } catch (error) {
    await listener[Symbol.asyncDispose]();
    throw error;
  }
  const addrs = listener.addrs;
  listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));
  for (const addr of addrs) {
    log(
      addr.transport === "unix"
        ? `echo server listening on unix:${addr.path}`
        : addr.hostname.includes(":")
        ? `echo server listening on [${addr.hostname}]:${addr.port}`
        : `echo server listening on ${addr.hostname}:${addr.port}`,
    );
  }
  const close = () => listener[Symbol.asyncDispose]();
  return { addrs, close, [Symbol.asyncDispose]: close };
}

if (import.meta.main) {
  const [port, path] = process.argv.slice(2);
  const server = await startEchoServer({
    port: Number(port ?? 0),
    ...(path ? { path } : {}),
  });
  process.once("SIGINT", () => void server.close());
}
