#!/usr/bin/env node
// The CLI is compiled by `npm run build` (run by `npm install`/`npm ci` through `prepare`).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('airlock: not built yet; run `npm run build` in the airlock checkout\n')
    process.exit(2)
  }
  throw err
})
