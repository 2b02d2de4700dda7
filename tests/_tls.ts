// Copyright 2026 the iox authors. MIT license.
// A self-signed certificate for 127.0.0.1 and localhost, made at test time
// with openssl, and node:tls clients that trust it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import type { Addr } from "../src/listener.ts";

/** PEM text of a certificate and its key. */
export interface Certificate {
  cert: string;
  key: string;
}

let made: Certificate | undefined;

/** A certificate for 127.0.0.1 and localhost, made once per process. */
export function certificate(): Certificate {
  if (made !== undefined) return made;
  const dir = mkdtempSync(join(tmpdir(), "iox-tls-"));
  try {
    execFileSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ], { stdio: "pipe" });
    made = {
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
      key: readFileSync(join(dir, "key.pem"), "utf8"),
    };
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
