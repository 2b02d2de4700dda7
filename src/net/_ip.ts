// Copyright 2026 the iox authors. MIT license.
// Address text shared by the listener and the runtime layer.

/** True for an IPv6 or dotted-quad IPv4 literal: no name lookup needed. */
export function isIpLiteral(hostname: string): boolean {
  return hostname.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}
