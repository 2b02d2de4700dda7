// Copyright 2026 the iox authors. MIT license.
// The one-byte ping-pong of bench/listener_rounds.ts (mode "watch"): what
// a readiness callback adds to every round trip. One node:net client sends
// a byte and waits for it to come back, PINGS times in a row; the servers
// echo with a reader loop (`read`/`write`) or from a `watch` callback on
// `IN | HUP` that reads what is there and writes it back.
import { connect } from "node:net";
import { IOCondition, NetListener, watch } from "../src/listener.ts";
import { type EchoServer, readWriteEcho } from "./_echo.ts";

/** Round trips in one load. */
export const PINGS = 200;

/** One load: PINGS one-byte round trips on one connection. */
export function pingLoad(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let left = PINGS;
    const ping = new Uint8Array([0x70]);
    socket.on("connect", () => socket.write(ping));
    socket.on("data", (chunk: Uint8Array) => {
      left -= chunk.length;
      if (left > 0) socket.write(ping);
      else socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => {
      if (left === 0) resolve();
      else reject(new Error(`${left} pings unanswered`));
    });
  });
}

async function server(
  name: string,
  handler: (conn: import("../src/listener.ts").Connection) => unknown,
): Promise<EchoServer> {
  const listener = new NetListener({ name: "bench-ping" });
  const [addr] = await listener.open("127.0.0.1:0");
  if (addr?.transport !== "tcp") throw new Error("NetListener did not listen");
  listener.setClientHandler(handler);
  return { name, port: addr.port, close: () => void listener.disconnect() };
}

/** The reader loop (the baseline), then the watch. */
export async function startPingServers(): Promise<EchoServer[]> {
  return [
    await server("reader loop read/write", readWriteEcho),
    await server("watch IN|HUP callback", (conn) => {
      const buffer = new Uint8Array(1024);
      watch(conn, IOCondition.IN | IOCondition.HUP, async () => {
        const n = await conn.read(buffer);
        if (n === null) {
          conn.close();
          return false;
        }
        await conn.write(buffer.subarray(0, n));
        return true;
      });
    }),
  ];
}
