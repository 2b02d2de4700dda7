// Copyright 2026 the iox authors. MIT license.
// A real HAProxy in front of a listener, for the PROXY protocol tests and the
// example: a config in a fresh temporary directory, a loopback frontend, and
// a process that is always killed. `.ci/run` installs haproxy; a machine
// without it fails these tests rather than skipping them.
import { execFile } from "node:child_process";
import {
  accessSync,
  constants,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";

/** The haproxy binary: $HAPROXY, then PATH, then /usr/sbin (Debian's). */
export function haproxyPath(): string {
  const candidates = [
    process.env.HAPROXY,
    ...(process.env.PATH ?? "").split(delimiter).map((dir) =>
      join(dir, "haproxy")
    ),
    "/usr/sbin/haproxy",
    "/usr/local/sbin/haproxy",
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(
    "haproxy not found: install it (apt-get install haproxy; .ci/run does) or set HAPROXY",
  );
}

/** A free loopback port, as the system picks one. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port"))
      );
    });
  });
}

/** What HAProxy forwards to. */
export interface HaproxyOptions {
  /** The backend: where the listener listens. */
  backend: { hostname: string; port: number };
  /**
   * The server line's PROXY protocol keywords, e.g. "send-proxy" or
   * "send-proxy-v2 proxy-v2-options crc32c".
   */
  sendProxy: string;
  /** The frontend's host. */
  frontendHost?: string;
  /** More keywords for the server line, e.g. health checks. */
  serverExtra?: string;
  /** More lines for the backend section. */
  backendLines?: string[];
}

/** A running HAProxy. */
export interface Haproxy extends AsyncDisposable {
  /** Where clients connect. */
  host: string;
  port: number;
  /** The config it runs, for messages. */
  config: string;
}

function bracket(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Starts HAProxy in TCP mode in front of `backend`. It runs as a daemon:
 * `haproxy -D` returns once every listener is bound, which is the readiness
 * signal; disposing kills it by the pid it wrote.
 */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const binary = haproxyPath();
  const host = options.frontendHost ?? "127.0.0.1";
  const dir = mkdtempSync(join(tmpdir(), "iox-haproxy-"));
  const pidFile = join(dir, "haproxy.pid");
  let lastError: unknown;
  // A port picked free may be taken before HAProxy binds it: try again.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort(host);
    const { backend } = options;
    const config = [
      "global",
      "  noreuseport",
      "  maxconn 512",
      `  pidfile ${pidFile}`,
      "defaults",
      "  mode tcp",
      "  timeout connect 5s",
      "  timeout client 60s",
      "  timeout server 60s",
      "frontend fe",
      `  bind ${bracket(host)}:${port}`,
      "  default_backend be",
      "backend be",
      ...(options.backendLines ?? []).map((line) => `  ${line}`),
      `  server app ${
        bracket(backend.hostname)
      }:${backend.port} ${options.sendProxy} ${options.serverExtra ?? ""}`,
      "",
    ].join("\n");
    const file = join(dir, "haproxy.cfg");
    writeFileSync(file, config);
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(
          binary,
          ["-D", "-f", file],
          { timeout: 30_000 },
          (error, _stdout, stderr) => {
            if (error) {
              reject(new Error(`haproxy failed: ${stderr}`, { cause: error }));
            } else resolve();
          },
        );
      });
    } catch (error) {
      lastError = error;
      continue;
    }
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    return {
      host,
      port,
      config,
      [Symbol.asyncDispose]() {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
