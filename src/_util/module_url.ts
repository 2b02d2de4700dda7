// Copyright 2026 the iox authors. MIT license.
// The module a pool's workers load, given as a URL or a path, turned into a
// URL that a worker started anywhere can import.

import { cwd } from "../_runtime/worker.ts";
import { argumentError } from "./validate.ts";

function encodePath(path: string): string {
  return path.replaceAll("\\", "/").split("/").map((part) =>
    /^[a-zA-Z]:$/.test(part) ? part : encodeURIComponent(part)
  ).join("/");
}

function fileUrl(absolutePath: string): string {
  const windows = /^[a-zA-Z]:[\\/]/.test(absolutePath);
  return (windows ? "file:///" : "file://") + encodePath(absolutePath);
}

/**
 * `module` as an absolute URL: a `URL` (copied), a URL string, an absolute
 * path, or a path relative to the current working directory.
 *
 * @param module The argument.
 * @param action What the call does, for the message ("create thread pool").
 * @returns The URL.
 * @throws {TypeError} If `module` is none of those.
 */
export function resolveModule(module: unknown, action: string): URL {
  const invalid = () =>
    argumentError(
      `Cannot ${action} as 'module'`,
      "a URL, an absolute path or a path relative to the working directory",
      module,
    );
  if (module instanceof URL) return new URL(module.href);
  if (typeof module !== "string" || module.trim() === "") throw invalid();
  const isAbsolute = module.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(module);
  if (!isAbsolute && /^[a-zA-Z][a-zA-Z\d+\-.]*:/.test(module)) {
    try {
      return new URL(module);
    } catch {
      throw invalid();
    }
  }
  if (isAbsolute) return new URL(fileUrl(module));
  return new URL(encodePath(module), fileUrl(cwd()) + "/");
}
