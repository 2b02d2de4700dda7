// Copyright 2026 the iox authors. MIT license.
// The TLS handshake+echo load of bench/listener_rounds.ts (mode "tls"):
// NetListener serving TLS (read/write and pipeTo echoes) against node:tls
// `createServer` with `socket.pipe(socket)`, all with a P-256 certificate
// made by openssl at start. One load: CLIENTS node:tls clients connect at
// once, each completes a handshake, sends PAYLOAD bytes, ends, reads the
// echo to the end and closes.
import { connect, createServer } from "node:tls";
import { NetListener } from "../src/listener.ts";
import { CLIENTS, type EchoServer, PAYLOAD, readWriteEcho } from "./_echo.ts";
import { certificate } from "../tests/_tls.ts";

const payload = new Uint8Array(PAYLOAD).fill(0x70);

function roundTrip(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      port,
      host: "127.0.0.1",
      ca: certificate().cert,
      servername: "localhost",
    });
    let echoed = 0;
    socket.on("secureConnect", () => socket.end(payload));
    socket.on("data", (chunk: Uint8Array) => echoed += chunk.length);
    socket.on("error", reject);
    socket.on("close", () => {
      if (echoed === PAYLOAD) resolve();
      else reject(new Error(`echo lost: ${echoed} of ${PAYLOAD} bytes`));
    });
  });
}

/** One load on the TLS server at `port`. */
export async function tlsLoad(port: number): Promise<void> {
  const trips: Promise<void>[] = [];
  for (let i = 0; i < CLIENTS; i++) trips.push(roundTrip(port));
  await Promise.all(trips);
}

async function netListenerTls(
  name: string,
  handler: (conn: import("../src/listener.ts").Connection) => Promise<void>,
): Promise<EchoServer> {
  const listener = new NetListener({ name: "bench-tls" });
  const [addr] = await listener.open({
    hostname: "127.0.0.1",
    port: 0,
    tls: certificate(),
  });
  if (addr?.transport !== "tcp") throw new Error("NetListener did not listen");
  listener.setClientHandler(handler);
  return { name, port: addr.port, close: () => void listener.disconnect() };
}

function nodeTls(): Promise<EchoServer> {
  const server = createServer(certificate(), (socket) => socket.pipe(socket));
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        name: "node:tls createServer",
        port: typeof address === "object" && address ? address.port : 0,
        close: () => server.close(),
      });
    });
  });
}

/** NetListener TLS read/write (the baseline), pipeTo, then node:tls. */
export async function startTlsServers(): Promise<EchoServer[]> {
  return [
    await netListenerTls("NetListener TLS read/write", readWriteEcho),
    await netListenerTls(
      "NetListener TLS pipeTo",
      (conn) => conn.readable.pipeTo(conn.writable),
    ),
    await nodeTls(),
  ];
}
