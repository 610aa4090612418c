// A seeded pseudo-random generator for the benches' generated data and request orders (mulberry32):
// the same seed gives the same catalog and the same walk in every run.
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A copy of `items` in a seeded shuffled order (Fisher–Yates over a linear congruential generator). */
export function shuffled(items, seed = 42) {
  const order = [...items]
  let a = seed >>> 0
  const rand = () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0
    return a / 4294967296
  }
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  return order
}
