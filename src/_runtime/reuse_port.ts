// Copyright 2026 the iox authors. MIT license.
// Whether this process may bind TCP sockets with SO_REUSEPORT.
//
// Deno gates `reusePort` behind --unstable-net, and a process without the
// flag that asks for it does not get an exception: Deno prints a message and
// exits the whole process with code 70, from the main thread or a worker.
// So the flag must be found out without asking for `reusePort`. The probe is
// another API of the same flag: `Deno.listenDatagram` is defined exactly
// when --unstable-net (or "unstable": ["net"] in deno.json) is in effect.
// Measured with Deno 2.9.6 in `deno run`, `deno test` and `deno eval`, in
// the main thread and in a worker, with the flag, with deno.json's
// "unstable", with neither, with `--unstable` (removed in Deno 2: no effect)
// and with another unstable flag: the probe and `reusePort` agreed in every
// case (tests/_runtime/reuse_port_test.ts repeats it in child processes).
// Bun has no such gate.

import { runtime, unsupportedRuntime } from "./mod.ts";

/**
 * Why `reusePort` cannot be used in this process, or null if it can.
 * `action` starts the message, e.g. "open listener pool".
 */
export function reusePortUnavailable(action: string): Error | null {
  if (runtime === "bun") return null;
  if (runtime !== "deno") return unsupportedRuntime("reusePort");
  const deno = (globalThis as { Deno?: { listenDatagram?: unknown } }).Deno;
  if (typeof deno?.listenDatagram === "function") return null;
  return new Error(
    `Cannot ${action} as Deno needs the --unstable-net flag to share a port between workers (reusePort): run with 'deno run --unstable-net', or add "unstable": ["net"] to deno.json`,
  );
}
