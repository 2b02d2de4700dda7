// Copyright 2026 the iox authors. MIT license.
/**
 * A small key-value server in the shape a real one takes with iox: one
 * `Executor` that lives as long as the server, a `Strand` per connection
 * that runs its commands in order, and `submit` for each command, so that
 * a command's error goes to whoever sent it and a dead connection's queued
 * commands are dropped instead of run.
 *
 * The protocol is one command per line; each gets one reply line, in order:
 * `SET key value` → `+OK`, `GET key` → `+value` (or `+(nil)`), `INCR key` →
 * `+n`, `SLEEP ms` → `+OK` after that long; anything wrong → `-ERR why`.
 * `QUIT` closes the connection once the commands before it are answered.
 * A client may send many commands without waiting (pipelining); if it goes
 * away without `QUIT` (its end of input, a reset, a failed write), the
 * commands it queued never run.
 *
 * Run it: `deno run -A examples/kv_server.ts [port]` or
 * `bun examples/kv_server.ts [port]`, then e.g. `nc 127.0.0.1 <port>`.
 *
 * @module
 */
import process from "node:process";
import {
  type Addr,
  type Connection,
  Executor,
  NetListener,
  SteadyTimer,
  Strand,
} from "../mod.ts";

/** Options for {@linkcode startKvServer}. */
export interface KvServerOptions {
  /** The TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Receives the errors that no caller awaits; the server goes on. */
  onError?: (error: unknown) => void;
}

/** Counters of a {@linkcode KvServer}. */
export interface KvServerStats {
  /** Commands read from clients. */
  commands: number;
  /** Commands that started to run (the others were dropped). */
  executed: number;
}

/** A running key-value server. */
export interface KvServer extends AsyncDisposable {
  /** Where it listens. */
  addr: Addr;
  /** The executor that runs every command, for as long as the server. */
  executor: Executor;
  /** Counters, for logs and tests. */
  stats: KvServerStats;
  /** Stops listening, ends the connections, and waits for `run()` to end. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/** Starts the server. */
export async function startKvServer(
  options: KvServerOptions = {},
): Promise<KvServer> {
  const { port = 0, onError = console.error } = options;
  const store = new Map<string, string>();
  const stats: KvServerStats = { commands: 0, executed: 0 };
  const connections = new Set<Connection>();

  // The server's executor: a work guard keeps its run() going between
  // connections, and onError takes a handler's error instead of ending the
  // run, so one bad handler never stops the server. A command's own error
  // does not come here: submit() gives it to the command's sender.
  const io = new Executor({ name: "kv", onError });
  const guard = io.makeWorkGuard();
  const running = io.run();

  // One command: may throw (a bad request) or wait (SLEEP).
  async function execute(line: string, signal: AbortSignal): Promise<string> {
    const [name = "", ...args] = line.trim().split(/\s+/);
    switch (name.toUpperCase()) {
      case "SET":
        if (args.length !== 2) throw new Error("SET takes a key and a value");
        store.set(args[0]!, args[1]!);
        return "OK";
      case "GET":
        if (args.length !== 1) throw new Error("GET takes a key");
        return store.get(args[0]!) ?? "(nil)";
      case "INCR": {
        if (args.length !== 1) throw new Error("INCR takes a key");
        const value = Number(store.get(args[0]!) ?? "0");
        if (!Number.isInteger(value)) throw new Error("not an integer");
        store.set(args[0]!, String(value + 1));
        return String(value + 1);
      }
      case "SLEEP": {
        const ms = Number(args[0]);
        if (!(ms >= 0)) throw new Error("SLEEP takes a duration in ms");
        // Holds this connection's strand (its later commands wait), and
        // ends early if the connection dies.
        await new SteadyTimer(io, ms).wait(signal);
        return "OK";
      }
      default:
        throw new Error(`unknown command '${name}'`);
    }
  }

  // One connection, run on the executor: its commands go through its own
  // strand, so they run one at a time and in order while other connections'
  // commands interleave; replies are written in the same order.
  async function serve(conn: Connection): Promise<void> {
    connections.add(conn);
    const strand = new Strand(io);
    // Aborted when the connection ends: drops the commands still queued.
    const alive = new AbortController();
    const { signal } = alive;
    const writer = conn.writable.getWriter();
    let replies = Promise.resolve();
    const send = async (reply: Promise<string>): Promise<void> => {
      let line: string;
      try {
        line = `+${await reply}\n`;
      } catch (error) {
        if (signal.aborted) return; // dropped or cut short: nobody to tell
        line = `-ERR ${(error as Error).message}\n`;
      }
      try {
        await writer.write(encoder.encode(line));
      } catch {
        alive.abort(new Error("the client went away"));
      }
    };
    let quit = false;
    try {
      for await (const line of lines(conn.readable)) {
        if (signal.aborted) break;
        if (line.trim() === "") continue;
        if (line.trim().toUpperCase() === "QUIT") {
          quit = true;
          break;
        }
        stats.commands++;
        const reply = strand.submit(() => {
          stats.executed++;
          return execute(line, signal);
        }, { signal });
        // Each reply is written after the previous one.
        replies = replies.then(() => send(reply));
      }
    } catch {
      // A reset: the connection is dead like after an end of input.
    } finally {
      if (!quit) alive.abort(new Error("the client went away"));
      await replies;
      connections.delete(conn);
      conn.close();
    }
  }

  const listener = new NetListener({ name: "kv", onError });
  let addr: Addr;
  try {
    [addr] = (await listener.open(`127.0.0.1:${port}`)) as [Addr];
  } catch (error) {
    guard.reset();
    await running;
    throw error;
  }
  listener.setClientHandler(serve, { executor: io });

  const close = async (): Promise<void> => {
    await listener.disconnect();
    for (const conn of connections) conn.close();
    guard.reset(); // run() returns once the last connection's work is done
    await running;
  };
  return {
    addr,
    executor: io,
    stats,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The lines of a byte stream, without their line ends. */
async function* lines(
  readable: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let pending = "";
  for await (const text of readable.pipeThrough(new TextDecoderStream())) {
    pending += text;
    const parts = pending.split("\n");
    pending = parts.pop()!;
    yield* parts;
  }
  if (pending !== "") yield pending;
}

if (import.meta.main) {
  const server = await startKvServer({ port: Number(process.argv[2] ?? 0) });
  console.log(
    `kv server listening on 127.0.0.1:${
      server.addr.transport === "tcp" ? server.addr.port : ""
    }`,
  );
  process.once("SIGINT", () => void server.close());
}
