// Copyright 2026 the iox authors. MIT license.
// Binding one checked address: a Unix path (removing a stale socket file if
// asked), or a TCP host, resolved to every address it names, all bound on
// one port; with port 0 the first gets a port from the system and the
// others bind the same, the group retried with a new port when one of them
// finds it taken.

import { net, type RawListener, resolver } from "../_runtime/net.ts";
import {
  errorCode,
  isIpLiteral,
  type ListenSpec,
  openError,
  tcpLabel,
} from "./_address.ts";
import { removeStaleSocket } from "./_stale_socket.ts";

/** How many port groups port 0 tries before giving up. */
export const PORT_RETRIES = 8;

/**
 * Binds one address, all-or-nothing.
 *
 * @param spec The checked address.
 * @param removeStale Remove a stale Unix socket file in the way.
 * @param reusePort Bind TCP sockets with SO_REUSEPORT, so that other
 * sockets may join their ports (ListenerPool's workers).
 * @returns The listening sockets: one per resolved address.
 * @throws {Error} Naming the address, if it cannot be resolved or bound.
 */
export async function bindAddress(
  spec: ListenSpec,
  removeStale: boolean,
  reusePort: boolean,
): Promise<RawListener[]> {
  const { bind } = spec;
  if (bind.transport === "unix") {
    try {
      return [net.listen(bind)];
    } catch (error) {
      if (
        !removeStale || errorCode(error) !== "EADDRINUSE" ||
        !await removeStaleSocket(bind.path).catch(() => false)
      ) throw openError(spec, error);
    }
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
        const raw = net.listen({ ...bind, hostname: host, port, reusePort });
        group.push(raw);
        if (port === 0 && raw.addr.transport === "tcp") port = raw.addr.port;
      }
      return group;
    } catch (error) {
      for (const raw of group) raw.close();
      const retry = bind.port === 0 && group.length > 0 &&
        errorCode(error) === "EADDRINUSE" && attempt < PORT_RETRIES;
      if (!retry) throw openError(spec, error, tcpLabel(host ?? "", port));
    }
  }
}
