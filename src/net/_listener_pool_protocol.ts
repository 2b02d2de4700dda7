// Copyright 2026 the iox authors. MIT license.
// The messages between a ListenerPool and its workers.
//
// Main to worker, plain: [INIT, moduleHref, listenerOptions, statsBuffer,
// tag], then requests [OPEN, id, addresses, first], [DISCONNECT, id],
// [SHUTDOWN, id, timeoutMs].
// Worker to main, each kind plus the worker's random tag (so that a message
// the handler module posts itself is told apart): [READY],
// [LOAD_FAILED, error], [DONE, id, result], [FAILED, id, error],
// [REPORT, error], [CRASHED, error], [EXITING, how].

/** Main to worker: load the module and create the listener. */
export const INIT = 0;
/**
 * Main to worker: listen on addresses. The first worker opens each given
 * address in turn and answers with one `Addr[]` per address; the others
 * join the concrete addresses it found and answer `undefined`.
 */
export const OPEN = 1;
/** Main to worker: stop listening; accepted connections go on. */
export const DISCONNECT = 2;
/**
 * Main to worker: shut the listener down (`NetListener.shutdown` with the
 * given `timeoutMs`); answered once its last connection has closed.
 */
export const SHUTDOWN = 3;

/** Worker to main: the module loaded and the listener is ready. */
export const READY = 0;
/** Worker to main: the module failed to load or has no default function. */
export const LOAD_FAILED = 1;
/** Worker to main: a request succeeded. */
export const DONE = 2;
/** Worker to main: a request failed. */
export const FAILED = 3;
/** Worker to main: the listener reported an error (its onError). */
export const REPORT = 4;
/** Worker to main: an uncaught error; the worker must be replaced. */
export const CRASHED = 5;
/** Worker to main: the worker is ending itself (self.close(), exit()). */
export const EXITING = 6;

/** The slots of the shared counters each worker keeps up to date. */
export const ACCEPTED = 0;
/** See {@linkcode ACCEPTED}. */
export const REJECTED = 1;
/** See {@linkcode ACCEPTED}. */
export const ACTIVE = 2;
/** See {@linkcode ACCEPTED}. */
export const ERRORS = 3;
/** How many counters. */
export const COUNTERS = 4;
