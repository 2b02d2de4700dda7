// Copyright 2026 the iox authors. MIT license.
/**
 * A server behind HAProxy: HAProxy takes the clients and relays each
 * connection with a PROXY protocol v2 header; the server, a NetListener with
 * `proxyProtocol: true`, sees every client's own address. It greets each
 * client with the address it saw, then echoes.
 *
 * Run it (haproxy installed: `apt-get install haproxy`):
 * `deno run -A examples/behind_haproxy.ts [haproxy port] [server port]` or
 * `bun examples/behind_haproxy.ts [haproxy port] [server port]`
 * (defaults 8000 and 9000), then `nc 127.0.0.1 8000`. Ctrl-C shuts the
 * server down gracefully and stops HAProxy.
 *
 * @module
 */
import { execFile } from "node:child_process";
import {
  accessSync,
  constants,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { type Addr, type Connection, NetListener } from "../src/listener.ts";

/** A host and port. */
export interface HostPort {
  /** An IP address. */
  hostname: string;
  /** A port. */
  port: number;
}

/** How to run HAProxy. */
export interface HaproxyOptions {
  /** Where HAProxy takes clients. */
  frontend: HostPort;
  /** Where it relays them: the server. */
  backend: HostPort;
  /**
   * The server line's PROXY protocol keywords.
   *
   * @default {"send-proxy-v2"}
   */
  sendProxy?: string;
  /** More keywords for the server line (health checks, say). */
  serverExtra?: string;
  /** More lines for the backend section. */
  backendLines?: string[];
}

/** A running HAProxy; disposing stops it. */
export interface Haproxy extends AsyncDisposable {
  /** The configuration it runs. */
  config: string;
}

function endpoint({ hostname, port }: HostPort): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/** The HAProxy configuration: TCP mode, one frontend, one server. */
export function haproxyConfig(options: HaproxyOptions): string {
  return [
    "global",
    "  noreuseport", // a port in use is an error, not shared
    "defaults",
    "  mode tcp",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "frontend clients",
    `  bind ${endpoint(options.frontend)}`,
    "  default_backend app",
    "backend app",
    ...(options.backendLines ?? []).map((line) => `  ${line}`),
    `  server app1 ${endpoint(options.backend)} ${
      options.sendProxy ?? "send-proxy-v2"
    } ${options.serverExtra ?? ""}`.trimEnd(),
    "",
  ].join("\n");
}

/** The haproxy binary: $HAPROXY, PATH, or Debian's /usr/sbin. */
export function haproxyPath(): string {
  const candidates = [
    process.env.HAPROXY,
    ...(process.env.PATH ?? "").split(delimiter).map((dir) =>
      join(dir, "haproxy")
    ),
    "/usr/sbin/haproxy",
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there
    }
  }
  throw new Error("haproxy not found: apt-get install haproxy, or set HAPROXY");
}

/**
 * Starts HAProxy. It runs as a daemon: `haproxy -D` returns once its
 * frontend is bound (or fails if it cannot be), so clients may connect as
 * soon as this resolves; disposing kills it by the pid it wrote.
 */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const binary = haproxyPath();
  const dir = mkdtempSync(join(tmpdir(), "iox-haproxy-"));
  const file = join(dir, "haproxy.cfg");
  const pidFile = join(dir, "haproxy.pid");
  const config = haproxyConfig(options);
  writeFileSync(file, config);
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        binary,
        ["-D", "-p", pidFile, "-f", file],
        { timeout: 30_000 },
        (error, _stdout, stderr) => {
          if (error) {
            reject(
              new Error(`haproxy did not start: ${stderr}`, { cause: error }),
            );
          } else resolve();
        },
      );
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", stop);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A daemon outlives its parent: stop it however this process ends.
  process.on("exit", stop);
  return {
    config,
    [Symbol.asyncDispose]() {
      stop();
      return Promise.resolve();
    },
  };
}

function label(addr: Addr): string {
  return addr.transport === "unix" ? `unix:${addr.path}` : endpoint(addr);
}

/** Greets a client with the address it connected from, then echoes. */
export async function greet(conn: Connection): Promise<void> {
  const writer = conn.writable.getWriter();
  await writer.write(
    new TextEncoder().encode(`hello ${label(conn.remoteAddr)}\n`),
  );
  writer.releaseLock();
  await conn.readable.pipeTo(conn.writable);
}

/**
 * Starts the server: a NetListener that reads PROXY protocol headers.
 *
 * @param address Where it listens: loopback only, so that nothing but
 * HAProxy reaches it (the header is believed).
 */
export async function startServer(
  address: HostPort,
): Promise<{ listener: NetListener; addr: Addr }> {
  const listener = new NetListener({ name: "app", proxyProtocol: true });
  const [addr] = await listener.open(address);
  listener.setClientHandler(greet);
  return { listener, addr: addr! };
}

if (import.meta.main) {
  const [front = "8000", back = "9000"] = process.argv.slice(2);
  const { listener, addr } = await startServer({
    hostname: "127.0.0.1",
    port: Number(back),
  });
  if (addr.transport !== "tcp") throw new Error("a TCP server was expected");
  let haproxy: Haproxy;
  try {
    haproxy = await startHaproxy({
      frontend: { hostname: "127.0.0.1", port: Number(front) },
      backend: addr,
    });
  } catch (error) {
    await listener.shutdown({ timeoutMs: 0 });
    throw error;
  }
  console.log(`server on ${label(addr)}, behind haproxy on 127.0.0.1:${front}`);
  process.once("SIGINT", async () => {
    await listener.shutdown({ timeoutMs: 5000 });
    await haproxy[Symbol.asyncDispose]();
    console.log("stopped");
  });
}
