// Copyright 2026 the iox authors. MIT license.
// The reusePort probe against the real thing, in child processes: under
// Deno with and without --unstable-net (and with deno.json's "unstable"),
// in the main thread and in a worker, it must say "available" exactly when
// reusePort works; without the flag, reusePort itself ends the process with
// code 70, which is why the probe exists. Bun needs no flag.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { reusePortUnavailable } from "../../src/_runtime/reuse_port.ts";

const isBun = "Bun" in globalThis;
// Each test starts a process: Bun's default of 5 s is short on a busy machine.
const timeout = 30_000;
const PROBE = fileURLToPath(
  new URL("../fixtures/reuse_port_probe.ts", import.meta.url),
);
const UNAVAILABLE =
  `probe: Cannot probe as Deno needs the --unstable-net flag to share a port between workers (reusePort): run with 'deno run --unstable-net', or add "unstable": ["net"] to deno.json`;

function run(
  flags: string[],
  args: string[],
): Promise<{ code: number; lines: string[] }> {
  const argv = isBun
    ? [PROBE, ...args]
    : ["run", "-A", "--no-check", ...flags, PROBE, ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { timeout: 30_000 }, (error, stdout) => {
      const code = error
        ? (typeof error.code === "number" ? error.code : -1)
        : 0;
      resolve({ code, lines: stdout.trim().split("\n") });
    });
  });
}

describe("reusePortUnavailable", () => {
  test("is null in this test process (deno.json gives Deno the flag)", () => {
    assert.equal(reusePortUnavailable("test"), null);
  });

  for (const where of ["main", "worker"]) {
    test(`Deno without the flag, ${where} thread: unavailable`, {
      timeout,
      skip: isBun,
    }, async () => {
      // --no-config: the project's deno.json gives the flag.
      assert.deepEqual(await run(["--no-config"], [where]), {
        code: 0,
        lines: [UNAVAILABLE, "done"],
      });
    });

    test(
      `Deno with --unstable-net, ${where} thread: available, and reusePort works`,
      { timeout, skip: isBun },
      async () => {
        assert.deepEqual(
          await run(["--no-config", "--unstable-net"], [where, "use"]),
          { code: 0, lines: ["probe: available", "bound twice: true", "done"] },
        );
      },
    );

    test(
      `Deno with "unstable": ["net"] in deno.json, ${where} thread: available, and reusePort works`,
      { timeout, skip: isBun },
      async () => {
        assert.deepEqual(await run([], [where, "use"]), {
          code: 0,
          lines: ["probe: available", "bound twice: true", "done"],
        });
      },
    );

    test(`Bun, ${where} thread: available, and reusePort works`, {
      timeout,
      skip: !isBun,
    }, async () => {
      assert.deepEqual(await run([], [where, "use"]), {
        code: 0,
        lines: ["probe: available", "bound twice: true", "done"],
      });
    });
  }

  test(
    "Deno without the flag exits with code 70 at reusePort: what the probe prevents",
    { timeout, skip: isBun },
    async () => {
      assert.deepEqual(await run(["--no-config"], ["main", "use"]), {
        code: 70,
        lines: [UNAVAILABLE],
      });
    },
  );
});
