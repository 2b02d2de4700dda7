// Copyright 2026 the iox authors. MIT license.
/**
 * A client that connects to several servers at once with `Task.run`, and
 * hands each completed connection to an executor, as QEMU does with
 * `QIOTask` for outgoing connections. A target that refuses (or does not
 * answer in time) completes its task with the error instead.
 *
 * Run: deno run -A examples/connect_many.ts   (or: bun examples/connect_many.ts)
 * It starts the echo server of examples/echo_server.ts to have something to
 * connect to, plus one address where nothing listens.
 *
 * @module
 */
import { createConnection, type Socket } from "node:net";
import { type Addr, Executor, NetListener, Task } from "../mod.ts";
import { startEchoServer } from "./echo_server.ts";

/** What happened to one target. */
export interface Outcome {
  /** The target, as `host:port` or `unix:path`. */
  target: string;
  /** What the server echoed, when the connection worked. */
  reply?: string;
  /** Why it did not, otherwise. */
  error?: string;
}

function describe(addr: Addr): string {
  if (addr.transport === "unix") return `unix:${addr.path}`;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  return `${host}:${addr.port}`;
}

/** Opens a TCP or Unix connection; aborting the signal gives up on it. */
function dial(addr: Addr, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = addr.transport === "unix"
      ? createConnection({ path: addr.path })
      : createConnection({ host: addr.hostname, port: addr.port });
    const onAbort = (): void => {
      socket.destroy();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => {
      signal.removeEventListener("abort", onAbort);
      resolve(socket);
    });
    socket.once("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

/** Sends one line and reads its echo back. */
function greet(socket: Socket, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = "";
    socket.on("data", (chunk) => {
      reply += String(chunk);
      if (reply.length >= line.length) {
        socket.end();
        resolve(reply);
      }
    });
    socket.once("error", reject);
    socket.write(line);
  });
}

/**
 * Connects to every target concurrently, one {@linkcode Task} each; every
 * connected socket is handed to one executor, which greets the server.
 * Resolves when every task completed and every greeting ended.
 */
export async function connectMany(
  targets: Addr[],
  timeoutMs = 2000,
): Promise<Outcome[]> {
  const executor = new Executor({ name: "clients" });
  const outcomes: Outcome[] = targets.map((addr) => ({
    target: describe(addr),
  }));
  targets.forEach((addr, i) => {
    const outcome = outcomes[i]!;
    const task = new Task<Socket>(addr, (t) => {
      const error = t.propagateError();
      if (error !== undefined) {
        outcome.error = error instanceof Error ? error.message : String(error);
        return;
      }
      const socket = t.result!;
      executor.post(async () => {
        outcome.reply = await greet(socket, `hello ${outcome.target}`);
      });
    }, { executor, signal: AbortSignal.timeout(timeoutMs) });
    task.run((signal) => dial(addr, signal));
  });
  // Every pending task is outstanding work of the executor: run() returns
  // once the last callback and the last greeting are done.
  await executor.run();
  return outcomes;
}

/** A TCP address where nothing listens (a port just released). */
async function refusingAddr(): Promise<Addr> {
  await using probe = new NetListener();
  const [addr] = await probe.open("127.0.0.1:0");
  return addr!;
}

if (import.meta.main) {
  await using server = await startEchoServer({ path: "connect_many.sock" });
  const outcomes = await connectMany([
    ...server.addrs,
    await refusingAddr(),
  ]);
  for (const { target, reply, error } of outcomes) {
    console.log(`${target}: ${reply ?? `failed (${error})`}`);
  }
}
