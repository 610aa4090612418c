// `fields` filtering: keep only the dotted paths asked for ("channel-map.revision.download.size"),
// applied through arrays. A path that names an object keeps all of it.
type Tree = Map<string, Tree>

function buildTree(paths: readonly string[]): Tree {
  const root: Tree = new Map()
  for (const p of paths) {
    let node = root
    for (const part of p.split('.').filter(Boolean)) {
      let next = node.get(part)
      if (!next) {
        next = new Map()
        node.set(part, next)
      }
      node = next
    }
  }
  return root
}

function apply(value: unknown, tree: Tree): unknown {
  if (tree.size === 0) return value
  if (Array.isArray(value)) return value.map((v) => apply(v, tree))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, sub] of tree) {
    const v = (value as Record<string, unknown>)[k]
    if (v !== undefined) out[k] = apply(v, sub)
  }
  return out
}

const trees = new Map<string, Tree>()

/** Projects `obj` onto `paths`, always keeping `always` (top-level keys). No paths: everything. */
export function project<T extends Record<string, unknown>>(
  obj: T,
  paths: readonly string[] | undefined,
  always: readonly string[],
): Record<string, unknown> {
  if (!paths || paths.length === 0) return obj
  const key = `${paths.join(',')}|${always.join(',')}`
  let tree = trees.get(key)
  if (!tree) {
    tree = buildTree([...paths, ...always])
    // Clients send a handful of distinct field lists; bound the cache against arbitrary ones.
    if (trees.size >= 256) trees.delete(trees.keys().next().value!)
    trees.set(key, tree)
  }
  return apply(obj, tree) as Record<string, unknown>
}

/** `fields` arrives as a comma-separated query value (or repeated); split and trim. */
export function parseFields(raw: unknown): string[] | undefined {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []
  const out = list
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter(Boolean)
  return out.length ? out : undefined
}
