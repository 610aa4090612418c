// Lint: typescript-eslint's recommended rules, plus the import rules that hold the layers (decision
// 0021; the layout in README, "Development"). Each folder gets exactly one restriction list: a later
// config object setting the same rule for a file replaces an earlier one rather than adding to it.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'
import prettier from 'eslint-config-prettier/flat'

const RULE = '@typescript-eslint/no-restricted-imports'
/** Forbidden import groups, each with the message a crossing prints. */
const restrict = (...patterns) => ({ [RULE]: ['error', { patterns }] })
const forbid = (message, ...group) => ({ group, message })
/** Interfaces only: `import type` of these is allowed, a value import is not. */
const typesOnly = (message, ...group) => ({ group, message, allowTypeImports: true })

const WIRE = ['**/charmhub/**', '**/snapstore/**', '**/admin/**', '**/web/**']
const STORAGE = ['kysely', '**/storage/db/**', '**/storage/data-dir-lock*']
// The blob store's interface is a port the wire folders stream blobs through; its implementations are not theirs.
const BLOBS = ['**/storage/blobs/**']
const noStorage = (folder) => [
  forbid(`${folder}/ reaches the database through catalog/ ports, never storage/ or kysely`, ...STORAGE),
  typesOnly(`${folder}/ may use the blob store's interface (import type), never its implementations`, ...BLOBS),
]

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/**/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/catalog/**'],
    rules: restrict(
      forbid(
        'catalog/ is the pure domain: no framework, database, file system or wire protocol',
        'fastify',
        'fastify/*',
        'kysely',
        'node:fs',
        'node:fs/*',
        '**/storage/**',
        '**/import/**',
        '**/http/**',
        '**/cli/**',
        ...WIRE,
      ),
    ),
  },
  {
    files: ['src/storage/**'],
    rules: restrict(forbid('storage/ never imports upward', 'fastify', '**/import/**', '**/http/**', '**/cli/**', ...WIRE)),
  },
  {
    files: ['src/import/**'],
    rules: restrict(forbid('import/ talks to catalog/ and storage/ only', 'fastify', '**/http/**', '**/cli/**', ...WIRE)),
  },
  {
    files: ['src/http/**'],
    rules: restrict(
      ...noStorage('http'),
      forbid('http/ holds helpers shared by the wire folders and imports none of them', '**/import/**', '**/cli/**', ...WIRE),
    ),
  },
  {
    files: ['src/charmhub/**'],
    rules: restrict(
      ...noStorage('charmhub'),
      forbid('charmhub/ is one wire protocol: no other wire folder', '**/snapstore/**', '**/admin/**', '**/web/**', '**/cli/**'),
    ),
  },
  {
    files: ['src/snapstore/**'],
    rules: restrict(
      ...noStorage('snapstore'),
      forbid('snapstore/ is one wire protocol: no other wire folder', '**/charmhub/**', '**/admin/**', '**/web/**', '**/cli/**'),
    ),
  },
  {
    files: ['src/admin/**'],
    rules: restrict(
      ...noStorage('admin'),
      forbid('admin/ is one wire protocol: no other wire folder', '**/charmhub/**', '**/snapstore/**', '**/web/**', '**/cli/**'),
    ),
  },
  {
    files: ['src/web/**'],
    rules: restrict(
      ...noStorage('web'),
      forbid('web/ reads catalog/ and uses http/ only', '**/import/**', '**/cli/**', '**/charmhub/**', '**/snapstore/**', '**/admin/**'),
    ),
  },
  { files: ['bin/**', 'bench/**/*.mjs', '*.js'], languageOptions: { globals: globals.node } },
  // Last, so that layout is Prettier's alone (prettier.config.js).
  prettier,
)
