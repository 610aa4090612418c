// Builders for `store-admin export bundle` tarballs: bundle.yaml (or a .bundle archive) plus one
// nested <charm>.tar.gz per component charm, as in a charm export.
import { stringify } from 'yaml'
import yazl from 'yazl'
import { buildCharmExport, buildTar, type ExportCharm, type TarMemberSpec } from './charm-builder.js'
import { gunzipSync } from 'node:zlib'

export interface BundleExportSpec {
  name: string
  applications: Record<string, { charm: string; channel?: string; base?: string; num_units?: number }>
  charms: ExportCharm[]
  /** Ship a .bundle archive (with this revision) instead of a bare bundle.yaml. */
  archiveRevision?: number
  /** Override the bundle.yaml text (hostile cases); null = no bundle.yaml at all. */
  bundleYamlText?: string | null
  /** Leave README.md out of the .bundle archive. */
  noReadme?: boolean
  extraMembers?: TarMemberSpec[]
}

export async function buildBundleArchive(yamlText: string, readme: string | null): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  zip.addBuffer(Buffer.from(yamlText), 'bundle.yaml')
  if (readme !== null) zip.addBuffer(Buffer.from(readme), 'README.md')
  zip.end()
  const parts: Buffer[] = []
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) parts.push(c)
  return Buffer.concat(parts)
}

/** Reuses the charm export builder for the nested charm tarballs, then re-packs with the bundle parts. */
export async function buildBundleExport(spec: BundleExportSpec): Promise<Buffer> {
  const yamlText =
    spec.bundleYamlText === undefined
      ? stringify({ description: `The ${spec.name} bundle`, applications: spec.applications })
      : spec.bundleYamlText
  const charmsExport = spec.charms.length ? await buildCharmExport({ charms: spec.charms, bundleYaml: false }) : undefined
  const members: TarMemberSpec[] = []
  if (charmsExport) {
    // Unpack the outer tar of the charm export to get the nested <charm>.tar.gz members back.
    const tar = gunzipSync(charmsExport)
    let off = 0
    while (off + 512 <= tar.length) {
      const header = tar.subarray(off, off + 512)
      const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '')
      if (!name) break
      const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8)
      members.push({ name, data: Buffer.from(tar.subarray(off + 512, off + 512 + size)) })
      off += 512 + Math.ceil(size / 512) * 512
    }
  }
  if (yamlText !== null) {
    if (spec.archiveRevision !== undefined)
      members.unshift({
        name: `${spec.name}_${spec.archiveRevision}.bundle`,
        data: await buildBundleArchive(yamlText, spec.noReadme ? null : `# ${spec.name}\n`),
      })
    else members.unshift({ name: 'bundle.yaml', data: yamlText })
  }
  members.push(...(spec.extraMembers ?? []))
  return buildTar(members)
}
