// Copyright 2026 the iox authors. MIT license.
// The shape of the FIFO queues of Executor and Strand, which each hold it in
// their own fields: a Queue object in between cost the strand a third of its
// speed, and cost Executor's post() as much before.
//
// Two arrays: items are written at the back array's next free slot and taken
// from the front array by index; when the front is used up the arrays swap,
// and the used one, whose slots were all cleared as they were taken, is
// written over again from slot 0. Writing and reading by index is what a raw
// `for` loop over an array does, and it keeps pace with it. Counting the
// items in fields instead of truncating the used array (`length = 0`) is
// what makes reuse work: V8 frees the storage of an array truncated to 0 and
// the next burst grows a new one, which cost more than the queue itself (a
// third of a post+run of 10k handlers). Nothing is ever shifted
// (`Array.prototype.shift` is O(n)); each slot is cleared when taken, so a
// queue never keeps a finished item alive; an array that grew past
// MAX_REUSED_LENGTH in a burst is dropped once used up, so memory goes back
// to where it was.

/** Used-up queue arrays longer than this are dropped instead of reused. */
export const MAX_REUSED_LENGTH = 65536;
