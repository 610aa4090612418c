// `airlock export charms CHARMS.yaml` and `airlock export bundle NAME`: the tarballs
// `store-admin export charms|bundle` write (docs/exporting.md). The input YAML is read as
// store-admin reads it: applications.<app>.{charm, channel, series|base, resources}, a whole
// bundle.yaml accepted, defaults channel stable (the default track), series jammy, arch amd64.
import { readFile } from 'node:fs/promises'
import { formatChannel } from '../catalog/channel.js'
import { seriesToChannel } from '../catalog/base.js'
import { InvalidInput } from '../catalog/errors.js'
import { readExportApplications, type ExportApplication } from '../import/export-yaml.js'
import { parseYamlMapping } from '../import/yaml-text.js'
import { stageCharms, type CharmWant } from './charm-set.js'
import { CharmhubClient, type Base } from './charmhub-client.js'
import { fetchAll, startDownloads, stopDownloads, writeExportFile, type ExportOptions, type ExportResult } from './common.js'
import { about, ExportError } from './errors.js'
import { readZipText } from './zip-text.js'
import type { Member } from './export-file.js'
import { exportTimestamp, Staging } from './staging.js'

export const DEFAULT_BASE: Base = { name: 'ubuntu', channel: '22.04', architecture: 'amd64' }

export interface CharmExportOptions extends ExportOptions {
  /** Where publisher account assertions come from (the Snap Store API of the same account system). */
  readonly assertionsFrom: string
}

function wantsOf(apps: readonly ExportApplication[], fallback: Base): CharmWant[] {
  return apps.map((a) => ({
    app: a.app,
    charm: a.charm,
    channel: a.channel ? formatChannel(a.channel) : 'stable',
    base: { name: 'ubuntu', channel: a.baseChannel ?? fallback.channel, architecture: fallback.architecture },
    resources: a.resources,
  }))
}

function readApplications(text: string, file: string): ExportApplication[] {
  try {
    return readExportApplications(parseYamlMapping(text, { file }), { file })
  } catch (err) {
    if (err instanceof InvalidInput) throw new ExportError(err.message)
    throw err
  }
}

export async function exportCharms(yamlFile: string, given: CharmExportOptions): Promise<ExportResult> {
  let text: string
  try {
    text = await readFile(yamlFile, 'utf8')
  } catch (err) {
    throw new ExportError(`${yamlFile}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const apps = readApplications(text, yamlFile)
  if (apps.length === 0) throw new ExportError(`${yamlFile}: names no charm (expected applications: {<app>: {charm: <name>}})`)
  const client = new CharmhubClient(given.from, given.http)
  const staging = await Staging.create(given.exportDir)
  const opts = startDownloads(given)
  try {
    const { members, blobs, packages } = await stageCharms(client, wantsOf(apps, DEFAULT_BASE), opts.assertionsFrom, staging, opts)
    const name = `charms-export-${exportTimestamp(opts.now)}.tar.gz`
    const staged = await staging.path(name)
    // store-admin's bundle.yaml is a copy of the input YAML; the importer reads channels and series from it.
    await writeExportFile(staged, [{ name: 'bundle.yaml', bytes: Buffer.from(text) }, ...members], blobs, opts)
    return { files: await staging.publish([{ staged, name }]), packages }
  } finally {
    opts.progress.stop()
    await stopDownloads(opts)
    await staging.close()
  }
}

export async function exportBundle(name: string, want: { channel: string; base: Base }, given: CharmExportOptions): Promise<ExportResult> {
  const client = new CharmhubClient(given.from, given.http)
  const staging = await Staging.create(given.exportDir)
  const opts = startDownloads(given)
  try {
    const bundle = await client.resolve(name, want.channel, want.base).catch((err: unknown) => {
      throw about(`bundle ${name}`, err)
    })
    if (bundle.type !== 'bundle') throw new ExportError(`${name} is a charm, not a bundle (export it with \`airlock export charms\`)`)
    opts.progress.say(`Downloading ${name} revision ${bundle.revision} (${bundle.effectiveChannel})`)
    // A bundle is a small zip (bundle.yaml, README): it is packed from memory.
    if (bundle.download.size > opts.http.maxJsonBytes)
      throw new ExportError(`bundle ${name} revision ${bundle.revision}: ${bundle.download.size} bytes is too large for a bundle`)
    const zipPath = await staging.path(`${name}_${bundle.revision}.bundle`)
    await fetchAll(
      [
        {
          label: `bundle ${name} revision ${bundle.revision}`,
          url: bundle.download.url,
          dest: zipPath,
          expected: { size: bundle.download.size, sha256: bundle.download.sha256 },
        },
      ],
      opts,
    )
    const yamlText = await readZipText(zipPath, 'bundle.yaml').catch((err: unknown) => {
      throw about(`bundle ${name} revision ${bundle.revision}`, err)
    })
    const doc = (() => {
      try {
        return parseYamlMapping(yamlText, { file: `${name}_${bundle.revision}.bundle`, member: ['bundle.yaml'] })
      } catch (err) {
        throw err instanceof InvalidInput ? new ExportError(err.message) : err
      }
    })()
    const zip = await readFile(zipPath)
    await staging.discard([zipPath])
    const apps = readApplications(yamlText, `${name}_${bundle.revision}.bundle: bundle.yaml`)
    if (apps.length === 0) throw new ExportError(`bundle ${name} revision ${bundle.revision}: bundle.yaml names no applications`)
    // An application without its own series or base takes the bundle's, then --base.
    const bundleSeries =
      typeof doc.series === 'string'
        ? seriesToChannel(doc.series)
        : typeof doc['default-base'] === 'string'
          ? /^ubuntu@(\d+\.\d+)/.exec(doc['default-base'])?.[1]
          : undefined
    const fallback = { ...want.base, channel: bundleSeries ?? want.base.channel }
    const { members, blobs, packages } = await stageCharms(client, wantsOf(apps, fallback), opts.assertionsFrom, staging, opts)
    const info = await client.info(name).catch((err: unknown) => {
      throw about(`bundle ${name}`, err)
    })
    const metadata = { ...info, 'effective-channel': bundle.effectiveChannel, entity: bundle.entity }
    const top: Member[] = [
      { name: `${name}_${bundle.revision}.bundle`, bytes: zip },
      { name: 'bundle.yaml', bytes: Buffer.from(yamlText) },
      { name: 'metadata.json', bytes: Buffer.from(JSON.stringify(metadata, null, 2) + '\n') },
    ]
    const file = `${name}-${exportTimestamp(opts.now)}.tar.gz`
    const staged = await staging.path(file)
    await writeExportFile(staged, [...top, ...members], blobs, opts)
    return {
      files: await staging.publish([{ staged, name: file }]),
      packages: [{ type: 'bundle', name, revision: bundle.revision, channel: bundle.effectiveChannel }, ...packages],
    }
  } finally {
    opts.progress.stop()
    await stopDownloads(opts)
    await staging.close()
  }
}
