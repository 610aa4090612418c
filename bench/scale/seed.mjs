// Seeds a migrated Airlock PostgreSQL database with `revisions` revisions, all in SQL
// (generate_series): revisions/10 packages × 10 revisions, even packages charms (ubuntu 22.04
// amd64), odd ones snaps (amd64). Texts are sized like real ones (a charm's metadata.yaml and
// config.yaml, a snap's snap.yaml: a few KB each); channels: charms latest/stable, candidate and edge,
// snaps latest/stable, candidate, beta and edge. Blob rows only: nothing is downloaded.
//
// Package p: id md5('pkg' || p) (32 hex characters, which serves as a snap-id too), name charm-p or snap-p.
export const packageCount = (revisions) => Math.max(2, Math.floor(revisions / 10))

export async function seedScale(client, revisions, log = () => {}) {
  const P = packageCount(revisions)
  const t0 = Date.now()
  const step = async (what, sql) => {
    const t = Date.now()
    await client.query(sql, [P])
    log(`  ${what}: ${((Date.now() - t) / 1000).toFixed(1)} s`)
  }
  await client.query('BEGIN')
  await step(
    'packages',
    `INSERT INTO packages (id, namespace, type, name, publisher, summary, description, title, details)
    SELECT md5('pkg' || p), CASE WHEN p % 2 = 0 THEN 'charmhub' ELSE 'snapstore' END, CASE WHEN p % 2 = 0 THEN 'charm' ELSE 'snap' END,
      CASE WHEN p % 2 = 0 THEN 'charm-' ELSE 'snap-' END || p,
      jsonb_build_object('id', md5('pub' || (p % 997)), 'username', 'publisher-' || (p % 997), 'display-name', 'Publisher ' || (p % 997), 'validation', 'unproven'),
      'Package ' || p || ' of the Airlock scale benchmark, summarised in a line',
      repeat('A paragraph shaped like a real description: what it does, how to relate it, where it keeps data. ', 4) || p,
      'Package ' || p,
      jsonb_build_object('license', 'Apache-2.0', 'website', 'https://example.com/' || p, 'links', jsonb_build_object('source', jsonb_build_array('https://example.com/src/' || p)),
        'categories', jsonb_build_array(jsonb_build_object('featured', false, 'name', 'development')))
    FROM generate_series(0, $1 - 1) p`,
  )
  await step(
    'blobs',
    `INSERT INTO blobs (sha256, size, sha384, sha3_384)
    SELECT md5('a' || g) || md5('b' || g), 1000000 + g, md5('c' || g) || md5('d' || g) || md5('e' || g), md5('f' || g) || md5('h' || g) || md5('i' || g)
    FROM generate_series(0, $1 * 10 - 1) g`,
  )
  await step(
    'revisions',
    `INSERT INTO revisions (package_id, revision, version, blob_sha256, platforms, metadata_yaml, config_yaml, snap_yaml, extra, created_at)
    SELECT md5('pkg' || p), r, '1.' || r || '.' || (p % 10), md5('a' || (p * 10 + r - 1)) || md5('b' || (p * 10 + r - 1)),
      CASE WHEN p % 2 = 0 THEN '[{"name":"ubuntu","channel":"22.04","architecture":"amd64"}]'::jsonb ELSE '[{"name":"","channel":"","architecture":"amd64"}]'::jsonb END,
      CASE WHEN p % 2 = 0 THEN 'name: charm-' || p || E'\\nsummary: a charm\\nrequires:\\n  database:\\n    interface: postgresql_client\\n' || repeat(E'# a comment line of a real metadata.yaml\\n', 40) END,
      CASE WHEN p % 2 = 0 THEN E'options:\\n' || repeat(E'  some-option:\\n    type: string\\n    default: ""\\n    description: what it sets\\n', 12) END,
      CASE WHEN p % 2 = 1 THEN 'name: snap-' || p || E'\\nversion: ''1.' || r || E'''\\nbase: core22\\nconfinement: strict\\ngrade: stable\\napps:\\n' || repeat(E'  app:\\n    command: bin/app\\n    plugs: [home, network]\\n', 12) END,
      CASE WHEN p % 2 = 0 THEN '{}'::jsonb ELSE '{"confinement":"strict","grade":"stable","base":"core22","type":"app","epoch":{"read":[0],"write":[0]},"store":"ubuntu"}'::jsonb END,
      timestamptz '2025-01-01' + (r || ' days')::interval
    FROM generate_series(0, $1 - 1) p, generate_series(1, 10) r`,
  )
  await step(
    'channel releases',
    `INSERT INTO channel_releases (package_id, track, risk, base_name, base_channel, architecture, revision, released_at)
    SELECT md5('pkg' || p), 'latest', risk, CASE WHEN p % 2 = 0 THEN 'ubuntu' ELSE '' END, CASE WHEN p % 2 = 0 THEN '22.04' ELSE '' END, 'amd64',
      CASE WHEN risk IN ('stable', 'beta') THEN 9 ELSE 10 END, timestamptz '2025-02-01'
    FROM generate_series(0, $1 - 1) p, unnest(ARRAY['stable', 'candidate', 'beta', 'edge']) risk
    WHERE p % 2 = 1 OR risk <> 'beta'`,
  )
  await client.query('COMMIT')
  // The catalog change rows the triggers wrote: a fresh replica loads everything anyway.
  await client.query('TRUNCATE catalog_changes')
  const t = Date.now()
  await client.query('ANALYZE')
  log(`  analyze: ${((Date.now() - t) / 1000).toFixed(1)} s`)
  return { packages: P, revisions: P * 10, seconds: (Date.now() - t0) / 1000 }
}
