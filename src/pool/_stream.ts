// Copyright 2026 the iox authors. MIT license.
// The pool's side of `ThreadPool.stream`: a ReadableStream fed by a job
// whose export is a generator. Backpressure is credit: the generator may
// yield only as many values as the pool granted, and the pool grants only
// the room left in the stream's queue (its desiredSize), so the generator
// is not resumed while that queue is full. Credit is granted once at least
// half the high-water mark is free, so that one message carries many
// values each way.
import type { Job, StreamSink } from "./_job.ts";
import type { ThreadPoolStreamOptions } from "./options.ts";
import { assertInteger, optionsObject } from "../_util/validate.ts";

/** What a stream needs from its pool. */
export interface StreamHost {
  /** Accepts the job (throws what refuses it); `finish` settles it. */
  accept(
    options: ThreadPoolStreamOptions,
    sink: StreamSink,
    finish: (outcome: unknown) => void,
  ): Job;
  /** The reader cancelled: resolves once the generator stopped. */
  cancel(job: Job, reason: unknown): Promise<void> | undefined;
}

/**
 * A stream of the values yielded by the job `host` accepts for task `name`
 * with `options`; bad options error it at once.
 */
export function jobStream<T>(
  name: string,
  options: ThreadPoolStreamOptions | undefined,
  defaultHighWaterMark: number,
  host: StreamHost,
): ReadableStream<T> {
  let job: Job | undefined;
  let given: ThreadPoolStreamOptions = {};
  let highWaterMark = defaultHighWaterMark;
  let failure: { error: unknown } | undefined;
  try {
    given = optionsObject(options, `stream task '${name}'`);
    if (given.highWaterMark !== undefined) {
      assertInteger(
        given.highWaterMark,
        `Cannot stream task '${name}' as 'highWaterMark'`,
        1,
      );
      highWaterMark = given.highWaterMark;
    }
  } catch (error) {
    failure = { error };
  }
  return new ReadableStream<T>({
    start(controller): void {
      if (failure !== undefined) return controller.error(failure.error);
      const sink: StreamSink = {
        controller: controller as ReadableStreamDefaultController<unknown>,
        highWaterMark,
        inFlight: 0,
        settled: undefined,
        aborted: undefined,
      };
      const finish = (outcome: unknown): void => {
        Promise.resolve(outcome).then(() => {
          try {
            controller.close();
          } catch {
            // Cancelled by the reader: nothing to close.
          }
        }, (error) => controller.error(error)).finally(() =>
          sink.settled?.resolve()
        );
      };
      try {
        job = host.accept(given, sink, finish);
      } catch (error) {
        controller.error(error);
      }
    },
    pull(): void {
      if (job !== undefined) grant(job);
    },
    cancel(reason): Promise<void> | undefined {
      return job && host.cancel(job, reason);
    },
  }, { highWaterMark });
}

/** Grants a stream's generator the room left in its queue. */
export function grant(job: Job): void {
  const sink = job.stream!;
  if (job.done) return;
  const room = (sink.controller.desiredSize ?? 0) - sink.inFlight;
  if (room <= 0 || (sink.inFlight > 0 && room * 2 < sink.highWaterMark)) {
    return;
  }
  sink.inFlight += room;
  job.worker?.credit(job, room);
}

/** Puts the values a stream's generator yielded in its queue. */
export function enqueueValues(job: Job, values: unknown[], from: number): void {
  const sink = job.stream;
  if (sink === undefined) return;
  try {
    // Each value leaves the credit as it enters the queue: an enqueue may
    // call pull, which must not count the rest of them as room.
    for (let i = from; i < values.length; i++) {
      sink.inFlight--;
      sink.controller.enqueue(values[i]);
    }
  } catch {
    // Cancelled or errored on this side: the generator is being stopped.
  }
}
