// The one place the server tunes V8's garbage collector (docs/decisions/0025).
//
// V8 watches each object-literal and array-literal site, and once nearly all of a site's objects
// survive a young-generation collection it allocates that site's objects straight in the old
// generation ("allocation-site pretenuring"). In the first seconds of serving, before the answer
// caches are filled, every request waits on the database with its parsed body and per-action
// objects alive, so those sites look long-lived and may be pretenured. Once the caches answer,
// the same objects die within a request but are born old: the old generation fills in a fraction
// of a second, major collections run back to back, and each scavenge slows down scanning the
// pointers from those objects into the young generation. Whether a process falls into that
// state depends on where a young collection lands during the warm-up, so the same build served
// at two different speeds from one start to the next.
//
// The decisions are turned off once the catalog is loaded (where pretenuring does pay: the index
// lives as long as the process) and before the first request. The flag is only read when a
// collection gathers the feedback, so changing it at run time is safe.
import { setFlagsFromString } from 'node:v8'

/** Stops V8 from moving more allocation sites to the old generation; for serving, after startup. */
export function stopPretenuring(): void {
  setFlagsFromString('--no-allocation-site-pretenuring')
}
