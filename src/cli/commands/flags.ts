import type { Command } from 'commander'

export interface AdminFlags {
  url?: string
  token?: string
  dataDir?: string
}

export function adminFlags(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server URL (env AIRLOCK_URL, default http://127.0.0.1:8080)')
    .option('--token <token>', 'admin token (env AIRLOCK_TOKEN, default: <data-dir>/admin.token)')
    .option('--data-dir <dir>', 'the server data dir, to read admin.token (env AIRLOCK_DATA_DIR, default ./data)')
}
