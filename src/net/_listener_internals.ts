// Copyright 2026 the iox authors. MIT license.
// What ListenerPool's workers need from a NetListener beyond its public API:
// binding its TCP sockets with SO_REUSEPORT, so that every worker can listen
// on the same address. NetListener fills this in from a static block, where
// its #private fields are in scope, so the option stays off the public
// surface (it is only safe once the runtime allows it: see
// ../_runtime/reuse_port.ts). Callers use it only after creating a
// NetListener, when listener.ts has necessarily been evaluated.
import type { NetListener } from "./listener.ts";

/** The internal operations of NetListener. */
export interface NetListenerInternals {
  /** Makes every TCP socket `listener` binds from now on set SO_REUSEPORT. */
  shareTcpPorts(listener: NetListener): void;
}

/** Set by listener.ts when it loads. */
export const internals: NetListenerInternals = {
  shareTcpPorts(): never {
    throw new Error("iox: listener.ts has not been loaded");
  },
};
