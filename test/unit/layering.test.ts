// The layer rules in eslint.config.js, run through ESLint's own API on small sources placed (by
// path only) in each folder: a crossing must fail lint, an allowed import must not.
import { describe, expect, it } from 'vitest'
import { ESLint } from 'eslint'

const eslint = new ESLint({ cwd: process.cwd() })

async function restricted(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = x\n`, { filePath })
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message)
}

describe('layer rules', () => {
  it.each([
    ['src/charmhub/x.ts', "import { x } from '../storage/db/catalog.repo.js'", /charmhub\/ reaches the database through catalog\/ ports/],
    ['src/snapstore/routes/x.ts', "import { x } from 'kysely'", /snapstore\/ reaches the database/],
    ['src/admin/routes/x.ts', "import { x } from '../../storage/db/listing.repo.js'", /admin\/ reaches the database/],
    ['src/web/x.ts', "import { x } from '../storage/db/connect.js'", /web\/ reaches the database/],
    ['src/http/x.ts', "import { x } from '../storage/blobs/fs-blob-store.js'", /http\/ may use the blob store's interface \(import type\)/],
    ['src/http/x.ts', "import { x } from '../charmhub/plugin.js'", /http\/ holds helpers shared by the wire folders/],
    ['src/charmhub/x.ts', "import { x } from '../snapstore/plugin.js'", /charmhub\/ is one wire protocol/],
    ['src/catalog/x.ts', "import { x } from 'fastify'", /catalog\/ is the pure domain/],
    ['src/catalog/x.ts', "import { x } from '../snapstore/to-wire.js'", /catalog\/ is the pure domain/],
    ['src/catalog/x.ts', "import { x } from '../http/public-urls.js'", /catalog\/ is the pure domain/],
    ['src/storage/db/x.ts', "import { x } from '../../admin/plugin.js'", /storage\/ never imports upward/],
  ])('%s: %s fails', async (file, source, message) => {
    const messages = await restricted(file, source)
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatch(message)
  })

  it.each([
    ['src/charmhub/x.ts', "import type { x } from '../storage/blobs/blob-store.js'"],
    ['src/admin/x.ts', "import { x } from '../catalog/operations-ports.js'"],
    ['src/snapstore/x.ts', "import { x } from '../http/json-template.js'"],
    ['src/storage/db/x.ts', "import { x } from '../../catalog/ports.js'"],
    ['src/operations-deps.ts', "import { x } from './storage/db/listing.repo.js'"],
  ])('%s: %s passes', async (file, source) => {
    expect(await restricted(file, source)).toEqual([])
  })
})
