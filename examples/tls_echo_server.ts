// Copyright 2026 the iox authors. MIT license.
/**
 * A TLS echo server with one NetListener, offering ALPN "echo/1".
 *
 * Run it: `deno run -A examples/tls_echo_server.ts [port] [cert.pem key.pem]`
 * or `bun examples/tls_echo_server.ts [port] [cert.pem key.pem]`. Without a
 * certificate it makes a self-signed one for localhost with `openssl` and
 * prints where it is. It prints its address and stops on Ctrl-C. Try it
 * with `openssl s_client -connect 127.0.0.1:<port> -CAfile <cert.pem>`.
 *
 * @module
 */
import process from "node:process";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Addr, NetListener } from "../src/listener.ts";

/** PEM text of a certificate and its key, with the files they came from. */
export interface Certificate {
  cert: string;
  key: string;
  /** The certificate's file. */
  certFile: string;
}

/**
 * Makes a self-signed P-256 certificate for localhost and 127.0.0.1 with
 * `openssl`, in a new temporary directory.
 */
export function selfSignedCertificate(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), "iox-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "2",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ], { stdio: "pipe" });
  return {
    cert: readFileSync(certFile, "utf8"),
    key: readFileSync(keyFile, "utf8"),
    certFile,
  };
}

/** A running TLS echo server. */
export interface TlsEchoServer extends AsyncDisposable {
  /** Where it listens. */
  addr: Addr;
  /** Stops listening and closes the connections. */
  close(): Promise<void>;
}

/**
 * Starts the TLS echo server on 127.0.0.1: each connection is echoed with
 * `read`/`write` until the client's end of stream.
 */
export async function startTlsEchoServer(
  options: { port?: number; cert: string; key: string },
): Promise<TlsEchoServer> {
  const { port = 0, cert, key } = options;
  const listener = new NetListener({ name: "tls-echo" });
  const [addr] = await listener.open({
    hostname: "127.0.0.1",
    port,
    tls: { cert, key, alpnProtocols: ["echo/1"] },
  });
  listener.setClientHandler(async (conn) => {
    const buffer = new Uint8Array(16 * 1024);
    try {
      for (let n; (n = await conn.read(buffer)) !== null;) {
        await conn.write(buffer.subarray(0, n));
      }
    } finally {
      conn.close();
    }
  });
  const close = () => listener[Symbol.asyncDispose]();
  return { addr: addr!, close, [Symbol.asyncDispose]: close };
}

if (import.meta.main) {
  const [port, certFile, keyFile] = process.argv.slice(2);
  const certificate = certFile && keyFile
    ? {
      cert: readFileSync(certFile, "utf8"),
      key: readFileSync(keyFile, "utf8"),
      certFile,
    }
    : selfSignedCertificate();
  const server = await startTlsEchoServer({
    port: Number(port ?? 0),
    ...certificate,
  });
  process.once("SIGINT", async () => {
    await server.close();
    console.log("tls echo server stopped");
  });
  const { addr } = server;
  console.log(
    `tls echo server listening on ${
      addr.transport === "tcp" ? `${addr.hostname}:${addr.port}` : addr.path
    } (certificate: ${certificate.certFile})`,
  );
}
