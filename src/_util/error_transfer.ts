// Copyright 2026 the iox authors. MIT license.
// Errors cross the worker boundary by hand: structured clone keeps only the
// built-in error names (a custom `name` comes back as "Error") and drops
// extra properties such as `code`. A property or cause that cannot be cloned
// (a function, a socket) is left out rather than losing the whole error.
// What cannot cross at all (workerData, a task's arguments, its result) is
// reported with one kind of error, built by `dataCloneError`.

import { messageOf } from "./validate.ts";

const BUILTIN: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

/** An error as it travels between threads. */
export interface SentError {
  iox: "error";
  name: string;
  message: string;
  stack?: string;
  dom?: boolean;
  cause?: unknown;
  props?: Record<string, unknown>;
  errors?: unknown[];
}

/**
 * The `DOMException` for a value that cannot cross to another thread,
 * named "DataCloneError" as structured clone names its own.
 *
 * @param message What could not be sent, e.g. "Cannot send the result of
 * the task".
 * @param thrown What structured clone (or `postMessage`) threw, if the
 * failure came with an error: its message follows `message` after ": ".
 * @returns The error.
 */
export function dataCloneError(
  message: string,
  ...thrown: [error?: unknown]
): DOMException {
  if (thrown.length > 0) {
    const error = thrown[0];
    message += `: ${messageOf(error)}`;
  }
  return new DOMException(message, "DataCloneError");
}

function cloneable(value: unknown): boolean {
  if (value === null || typeof value !== "object") {
    return typeof value !== "function" && typeof value !== "symbol";
  }
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

// How deep causes (and an AggregateError's errors) are followed: a longer
// chain, or a cycle, is cut there.
const MAX_DEPTH = 32;
const CUT = Symbol("cut");

// Reads a property for the message, which may be a throwing getter.
function read(get: () => unknown, fallback: string): string {
  try {
    return String(get());
  } catch {
    return fallback;
  }
}

/**
 * Turns a thrown value into something structured clone carries intact.
 * Never throws: what cannot be read or cloned is left out. An error found
 * in several places (an AggregateError listing one twice) is encoded once
 * and shared, as structured clone keeps it.
 */
export function sendError(error: unknown): unknown {
  return encode(error, [], new Map());
}

// `path`: the errors being encoded, outermost first, to see cycles; `done`:
// those already encoded.
function encode(
  error: unknown,
  path: unknown[],
  done: Map<Error, SentError>,
): unknown {
  if (!(error instanceof Error)) return error;
  const known = done.get(error);
  if (known !== undefined) return known;
  const sent: SentError = {
    iox: "error",
    name: read(() => error.name, "Error"),
    message: read(() => error.message, ""),
  };
  try {
    if (typeof error.stack === "string") sent.stack = error.stack;
  } catch {
    // No stack, then.
  }
  if (error instanceof DOMException) sent.dom = true;
  done.set(error, sent);
  const deeper = path.length < MAX_DEPTH ? [...path, error] : undefined;
  // An encoded error is cloneable by construction; another value is checked.
  const inner = (value: unknown): unknown => {
    if (!(value instanceof Error)) return cloneable(value) ? value : CUT;
    return deeper === undefined || deeper.includes(value)
      ? CUT
      : encode(value, deeper, done);
  };
  try {
    if ("cause" in error) {
      const cause = inner(error.cause);
      if (cause !== CUT) sent.cause = cause;
    }
    if (error instanceof AggregateError && Array.isArray(error.errors)) {
      sent.errors = error.errors.map(inner).filter((sub) => sub !== CUT);
    }
    const props: Record<string, unknown> = {};
    let any = false;
    for (const key of Object.keys(error)) {
      if (key === "name" || key === "message" || key === "stack") continue;
      if (key === "cause" || key === "errors") continue;
      try {
        const value = (error as unknown as Record<string, unknown>)[key];
        if (!cloneable(value)) continue;
        props[key] = value;
        any = true;
      } catch {
        // A throwing getter: left out.
      }
    }
    if (any) sent.props = props;
  } catch {
    // A throwing `cause`, `errors` or key list: the rest is left out.
  }
  return sent;
}

function isSentError(value: unknown): value is SentError {
  return typeof value === "object" && value !== null &&
    (value as SentError).iox === "error";
}

/** Rebuilds an error sent by {@linkcode sendError}. */
export function receiveError(value: unknown): unknown {
  return decode(value, new Map());
}

// `done`: the errors already rebuilt, so that a shared one stays shared.
function decode(value: unknown, done: Map<SentError, Error>): unknown {
  if (!isSentError(value)) return value;
  const known = done.get(value);
  if (known !== undefined) return known;
  const options = "cause" in value
    ? { cause: decode(value.cause, done) }
    : undefined;
  let error: Error;
  if (value.dom) {
    error = new DOMException(value.message, value.name);
  } else if (value.errors !== undefined) {
    error = new AggregateError(
      value.errors.map((sub) => decode(sub, done)),
      value.message,
      options,
    );
  } else {
    const Builtin = BUILTIN[value.name] ?? Error;
    error = new Builtin(value.message, options);
  }
  if (error.name !== value.name) {
    Object.defineProperty(error, "name", {
      value: value.name,
      writable: true,
      configurable: true,
    });
  }
  if (value.stack !== undefined) {
    Object.defineProperty(error, "stack", {
      value: value.stack,
      writable: true,
      configurable: true,
    });
  }
  if (value.props) Object.assign(error, value.props);
  done.set(value, error);
  return error;
}
