import { defineConfig } from 'vitest/config'

// Three projects, one per layer of tests, so each can be run alone (`npm run test:unit` needs no
// database, no build and no system packages). `extends: true` gives each the settings below.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line; with projects it
    // still covers every project that ran.
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    projects: [
      // Pure logic, no shared state between files: one process reused for all of them is safe and quick.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      // The Fastify app in-process (app.inject) on PGlite and PostgreSQL.
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      // The real server process and CLI (test/support/server-process.ts); needs dist/ built.
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
})
