// Bounds on what one store API request may ask for, so that its cost is bounded too (decision 0011).
// Juju's revision updater sends one refresh request per model with every application of it, and
// snapd one per device with every installed snap (plus fetch-assertions actions): real requests
// stay in the hundreds. The cap leaves a wide margin above that.

/** Actions (install, download, refresh, fetch-assertions) and context entries per refresh request. */
export const MAX_REFRESH_ACTIONS = 5000
/** Entries of a `fields` list, or of a fetch-assertions action's assertions. */
export const MAX_LIST_ENTRIES = 500

export const tooMany = (field: string, count: number, max: number): string =>
  `${field}: ${count} entries, more than the ${max} one request may carry; split the request`
