// Copyright 2026 the iox authors. MIT license.
// The URL of a pool's task module, from what the caller gave.
import { cwd } from "../_runtime/worker.ts";
import { formatValue } from "../_util/validate.ts";

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
 * A `URL`, a URL string, an absolute path, or a path relative to the
 * working directory (a library cannot know its caller's file), as a URL.
 *
 * @throws {TypeError} For anything else.
 */
export function resolveModule(module: unknown): URL {
  const invalid = () =>
    new TypeError(
      `Cannot create thread pool as 'module' must be a URL, an absolute path or a path relative to the working directory: current value is ${
        formatValue(module)
      }`,
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
