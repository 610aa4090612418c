// Lint: typescript-eslint's recommended rules, plus one import rule per layer: catalog/ is pure, storage/
// never imports upward, import/ talks to catalog/ and storage/ only (the layout in README, "Development").
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'
import prettier from 'eslint-config-prettier/flat'

const no = (message, ...group) => ({ 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] })

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
  { files: ['src/catalog/**'], rules: no('catalog/ is pure', 'fastify', 'kysely', 'node:fs', 'node:fs/*', '**/storage/**', '**/import/**', '**/admin/**', '**/http/**', '**/cli/**') },
  { files: ['src/storage/**'], rules: no('storage/ never imports upward', 'fastify', '**/import/**', '**/admin/**', '**/http/**', '**/cli/**') },
  { files: ['src/import/**'], rules: no('import/ talks to catalog/ and storage/ only', 'fastify', '**/admin/**', '**/http/**', '**/cli/**') },
  { files: ['src/web/**'], rules: no('web/ reads catalog/ and uses http/ only', 'kysely', '**/storage/**', '**/import/**', '**/admin/**', '**/charmhub/**', '**/snapstore/**', '**/cli/**') },
  { files: ['bin/**', 'bench/**/*.mjs', '*.js'], languageOptions: { globals: globals.node } },
  // Last, so that layout is Prettier's alone (prettier.config.js).
  prettier,
)
