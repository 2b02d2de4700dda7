// Copyright 2026 the iox authors. MIT license.
// A self-signed certificate for 127.0.0.1 and localhost, made at test time
// with openssl, and node:tls clients that trust it.
import {
  type Certificate,
  selfSignedCertificate,
} from "../examples/tls_echo_server.ts";
import { connect, type TLSSocket } from "node:tls";
import type { Addr } from "../src/listener.ts";

let made: Certificate | undefined;

/** A certificate for 127.0.0.1 and localhost, made once per process. */
export function certificate(): Certificate {
  return made ??= selfSignedCertificate();
}

/** Connects a node:tls client that trusts {@linkcode certificate}. */
export function connectTls(
  addr: Addr | undefined,
  alpnProtocols?: string[],
): TLSSocket {
  if (addr?.transport !== "tcp") throw new Error("no TCP address");
  return connect({
    host: addr.hostname,
    port: addr.port,
    ca: certificate().cert,
    servername: "localhost",
    ...(alpnProtocols ? { ALPNProtocols: alpnProtocols } : {}),
  });
}

/** Sends `payload` over TLS (then ends) and resolves with all it got back. */
export function tlsEcho(
  addr: Addr | undefined,
  payload: string | Uint8Array,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connectTls(addr);
    const chunks: Buffer[] = [];
    socket.on("secureConnect", () => socket.end(payload));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks)));
  });
}
