// Copyright 2026 the iox authors. MIT license.
// A real HAProxy in front of a listener, for the PROXY protocol tests: the
// example's runner (a config in a fresh temporary directory, a daemon that
// is always killed) on a free loopback port. `.ci/run` installs haproxy; a
// machine without it fails these tests rather than skipping them.
import { createServer } from "node:net";
import {
  type Haproxy as Running,
  type HaproxyOptions,
  startHaproxy as start,
} from "../examples/behind_haproxy.ts";

/** A free loopback port, as the system picks one. */
function freePort(hostname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: hostname, port: 0 }, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port"))
      );
    });
  });
}

/** A running HAProxy and where clients connect. */
export interface Haproxy extends Running {
  /** The frontend's host. */
  host: string;
  /** The frontend's port. */
  port: number;
}

/**
 * Starts HAProxy in front of `backend`, its frontend on a free port of
 * `frontendHost` (default 127.0.0.1).
 */
export async function startHaproxy(
  options: Omit<HaproxyOptions, "frontend"> & { frontendHost?: string },
): Promise<Haproxy> {
  const host = options.frontendHost ?? "127.0.0.1";
  let lastError: unknown;
  // A port found free may be taken before HAProxy binds it: try another.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort(host);
    try {
      const running = await start({
        ...options,
        frontend: { hostname: host, port },
      });
      return Object.assign(running, { host, port });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
