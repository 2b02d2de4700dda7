// Copyright 2026 the iox authors. MIT license.
// A Unix socket file left behind by a server that died (a crash, a kill -9)
// makes binding its path fail with EADDRINUSE. It is stale only when nobody
// listens on it, which only a connection attempt can tell: refused means
// stale. node:net and node:fs work the same on Deno and Bun.

/**
 * Removes the Unix socket file at `path` if it is stale: a socket that
 * refuses connections.
 *
 * @param path The socket file.
 * @returns True if the path is free now (removed, or gone meanwhile);
 * false if a process listens there or it is not a socket.
 */
export async function removeStaleSocket(path: string): Promise<boolean> {
  const { lstat, unlink } = await import("node:fs/promises");
  try {
    if (!(await lstat(path)).isSocket()) return false;
  } catch (error) {
    return (error as { code?: unknown }).code === "ENOENT";
  }
  const { connect } = await import("node:net");
  const refused = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(false);
    });
    probe.once("error", (error: Error & { code?: string }) => {
      probe.destroy();
      resolve(error.code === "ECONNREFUSED" || error.code === "ENOENT");
    });
  });
  if (!refused) return false;
  try {
    await unlink(path);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
  }
  return true;
}
