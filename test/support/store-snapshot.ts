// What a store holds, as text to compare across restarts and runs: every table's rows (without
// timestamps and generated ids, which differ between two runs of the same pushes) and the blob
// tree. For the embedded database the server must be stopped: its database belongs to one process.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { openDatabase } from '../../src/storage/db/connect.js'

const TABLES = [
  'blobs',
  'packages',
  'revisions',
  'resources',
  'resource_revisions',
  'revision_resources',
  'channel_releases',
  'release_history',
  'assertions',
  'package_assertions',
]

async function sha256File(p: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(p)) h.update(c as Buffer)
  return h.digest('hex')
}

/** `<path> <size> <sha256>` for every file under dir, sorted. */
export async function fileTree(dir: string, prefix = ''): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const out: string[] = []
  for (const n of names.sort()) {
    const p = join(dir, n)
    const st = await stat(p)
    if (st.isDirectory()) out.push(...(await fileTree(p, `${prefix}${n}/`)))
    else out.push(`${prefix}${n} ${st.size} ${await sha256File(p)}`)
  }
  return out
}

function row(r: Record<string, unknown>, table: string): string {
  const kept = Object.entries(r).filter(([k]) => !k.endsWith('_at') && !(table === 'release_history' && k === 'id'))
  return JSON.stringify(Object.fromEntries(kept), (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))
}

export async function tableDump(opts: { dataDir: string; databaseUrl?: string | undefined }): Promise<string> {
  const database = await openDatabase({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir })
  try {
    const parts: string[] = []
    for (const t of TABLES) {
      const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(t)}`.execute(database.db)
      parts.push(`## ${t}`, ...rows.rows.map((r) => row(r, t)).sort())
    }
    return parts.join('\n')
  } finally {
    await database.close()
  }
}

export async function storeSnapshot(opts: { dataDir: string; databaseUrl?: string | undefined }): Promise<string> {
  return `${await tableDump(opts)}\n## blobs/\n${(await fileTree(join(opts.dataDir, 'blobs'))).join('\n')}`
}

/** A copy of a PostgreSQL database (no one may be connected to `from`); returns its URL. */
export async function cloneDatabase(fromUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const from = new URL(fromUrl)
  const name = `${from.pathname.slice(1)}_c${Math.random().toString(36).slice(2, 8)}`
  const admin = new URL(fromUrl)
  admin.pathname = '/postgres'
  const c = new pg.Client({ connectionString: admin.toString() })
  await c.connect()
  try {
    await c.query(`CREATE DATABASE ${name} TEMPLATE ${from.pathname.slice(1)}`)
  } finally {
    await c.end()
  }
  const url = new URL(fromUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const d = new pg.Client({ connectionString: admin.toString() })
      await d.connect()
      try {
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await d.end()
      }
    },
  }
}
