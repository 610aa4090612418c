// The catalog page's HTML: plain server-rendered pages with one stylesheet and no scripts.
import type { IndexedPackage, IndexedRelease, IndexedResource } from '../catalog/index.js'
import { formatChannel } from '../catalog/channel.js'
import { formatBase } from '../catalog/base.js'
import type { PackageType } from '../catalog/model.js'
import { html, type Html } from './html.js'
import { channelOrder, type Row } from './listing.js'

export const PAGE_SIZE = 50

const PLURAL: Record<PackageType, string> = { charm: 'charms', bundle: 'bundles', snap: 'snaps' }
export const packagePath = (p: { type: PackageType; name: string }): string => `/${PLURAL[p.type]}/${encodeURIComponent(p.name)}`
const day = (rfc3339: string): string => rfc3339.slice(0, 10)

export function layout(title: string, body: Html, query = ''): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Airlock</title>
        <link rel="stylesheet" href="/static/airlock.css" />
      </head>
      <body>
        <header class="top">
          <div class="wrap">
            <a class="brand" href="/">Airlock</a>
            <form action="/" method="get" role="search">
              <input
                type="search"
                name="q"
                value="${query}"
                aria-label="Search charms, bundles and snaps"
                placeholder="Search charms, bundles and snaps"
                maxlength="200"
              />
              <button type="submit">Search</button>
            </form>
          </div>
        </header>
        <main class="wrap" id="main">${body}</main>
        <footer><div class="wrap">Served by Airlock, the offline Charmhub and Snap Store of this site.</div></footer>
      </body>
    </html> `.text
}

export interface ListParams {
  readonly q: string
  readonly type: PackageType | undefined
  readonly page: number
}

function listHref(p: ListParams, change: Partial<ListParams>): string {
  const n = { ...p, ...change }
  const qs = new URLSearchParams()
  if (n.q) qs.set('q', n.q)
  if (n.type) qs.set('type', n.type)
  if (n.page > 1) qs.set('page', String(n.page))
  const s = qs.toString()
  return s ? `/?${s}` : '/'
}

export function listPage(rows: readonly Row[], p: ListParams): string {
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE))
  const page = Math.min(p.page, pages)
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)
  const tabs: Array<[PackageType | undefined, string]> = [
    [undefined, 'All'],
    ['charm', 'Charms'],
    ['bundle', 'Bundles'],
    ['snap', 'Snaps'],
  ]
  const heading = p.q ? `Results for “${p.q}”` : 'Catalog'
  const body = html` <h1>${heading}</h1>
    <nav class="tabs" aria-label="Package type">
      ${tabs.map(([t, label]) => html`<a href="${listHref(p, { type: t, page: 1 })}" ${t === p.type ? html` aria-current="page"` : ''}>${label}</a>`)}
    </nav>
    <p class="muted">
      ${rows.length === 0 ? 'Nothing matches.' : `${rows.length} package${rows.length === 1 ? '' : 's'}${pages > 1 ? `, page ${page} of ${pages}` : ''}`}
    </p>
    <ul class="packages">
      ${shown.map(
        (r) =>
          html`<li>
            <div><span class="badge">${r.pkg.type}</span><a class="name" href="${packagePath(r.pkg)}">${r.pkg.name}</a></div>
            ${r.pkg.summary ? html`<p class="summary">${r.pkg.summary}</p>` : ''}
            <div class="meta">
              ${r.pkg.publisher ? html`<span>Publisher: ${r.pkg.publisher['display-name'] || r.pkg.publisher.username}</span>` : ''}
              ${r.version ? html`<span>Version: ${r.version}</span>` : ''}
              ${r.channels.length ? html`<span class="channels">Channels: ${r.channels.slice(0, 6).map((c) => html`<code>${c}</code>`)}${r.channels.length > 6 ? ` +${r.channels.length - 6} more` : ''}</span>` : ''}
            </div>
          </li>`,
      )}
    </ul>
    ${
      pages > 1
        ? html`<nav class="pager" aria-label="Pages">
            ${page > 1 ? html`<a href="${listHref(p, { page: page - 1 })}" rel="prev">← Previous</a>` : ''}
            <span>Page ${page} of ${pages}</span>
            ${page < pages ? html`<a href="${listHref(p, { page: page + 1 })}" rel="next">Next →</a>` : ''}
          </nav>`
        : ''
    }`
  return layout(p.q ? `Search: ${p.q}` : 'Catalog', body, p.q)
}

export interface PackageExtras {
  /** The store's base URL (what charmhub-url and SNAPPY_FORCE_API_URL are set to). */
  readonly storeUrl: string
  /** Where an oci-image resource's image is pulled from at this site; undefined: as exported. */
  readonly localImage: (imageName: string) => string | undefined
  /** Bundles: the applications of the default release's bundle.yaml. */
  readonly bundleApps?:
    ReadonlyArray<{ app: string; charm: string; channel?: string | undefined; units?: number | undefined; inStore: boolean }> | undefined
  readonly bundleError?: string | undefined
}

function channelTable(pkg: IndexedPackage): Html {
  const releases = [...pkg.releases].sort(
    (a, b) => channelOrder(a, b, pkg.defaultTrack) || formatBase(a.base).localeCompare(formatBase(b.base)),
  )
  if (releases.length === 0) return html`<p class="muted">Not released to any channel.</p>`
  const isSnap = pkg.type === 'snap'
  const where = (r: IndexedRelease): string => (isSnap ? r.base.architecture : formatBase(r.base))
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Channel map">
    <table>
      <thead>
        <tr>
          <th scope="col">Channel</th>
          <th scope="col">${isSnap ? 'Architecture' : 'Base'}</th>
          <th scope="col">Revision</th>
          <th scope="col">Version</th>
          <th scope="col">Released</th>
        </tr>
      </thead>
      <tbody>
        ${releases.map(
          (r) =>
            html`<tr>
              <td><code>${formatChannel(r.channel)}</code></td>
              <td>${where(r)}</td>
              <td class="num">${r.revision}</td>
              <td>${pkg.revisions.get(r.revision)?.version ?? ''}</td>
              <td>${day(r.releasedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`
}

function resourceSection(res: IndexedResource, extras: PackageExtras): Html {
  const revs = [...res.revisions.values()].sort((a, b) => b.revision - a.revision)
  return html`<h3>${res.name} <span class="badge">${res.type}</span></h3>
    ${res.description ? html`<p class="description">${res.description}</p>` : ''}
    ${res.filename ? html`<p class="muted">File name: <code>${res.filename}</code></p>` : ''}
    <div class="table-wrap" tabindex="0" role="region" aria-label="${`Revisions of ${res.name}`}">
      <table>
        <thead>
          <tr>
            <th scope="col">Revision</th>
            <th scope="col">${res.type === 'oci-image' ? 'Image' : 'Size'}</th>
            <th scope="col">Added</th>
          </tr>
        </thead>
        <tbody>
          ${revs.map((r) => {
            const local = r.imageName ? extras.localImage(r.imageName) : undefined
            const what =
              res.type === 'oci-image'
                ? html`${r.imageName ? html`<code>${local ?? r.imageName}</code>${local && local !== r.imageName ? html`<br /><span class="muted">exported as <code>${r.imageName}</code></span>` : ''}` : html`<span class="muted">no image name</span>`}`
                : html`${formatBytes(r.blob.size)}`
            return html`<tr>
              <td class="num">${r.revision}</td>
              <td>${what}</td>
              <td>${day(r.createdAt)}</td>
            </tr>`
          })}
        </tbody>
      </table>
    </div>`
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

function commands(pkg: IndexedPackage, row: Row, extras: PackageExtras): Html {
  const channels = row.channels.length ? row.channels : []
  const main = channels[0]
  if (pkg.type === 'snap') {
    return html`<p>Point snapd at this store once per device, then install:</p>
      <pre tabindex="0" aria-label="Install commands"><code>sudo mkdir -p /etc/systemd/system/snapd.service.d
printf '[Service]\\nEnvironment=SNAPPY_FORCE_API_URL=${extras.storeUrl}/\\n' | \\
  sudo tee /etc/systemd/system/snapd.service.d/airlock.conf
sudo systemctl daemon-reload &amp;&amp; sudo systemctl restart snapd
${channels.map((c) => `snap install ${pkg.name} --channel ${c}\n`)}</code></pre>`
  }
  const short = (c: string): string => {
    const [t, ...rest] = c.split('/')
    return t === 'latest' ? rest.join('/') : c
  }
  return html`<p>Create the model with this store as its Charmhub (<code>charmhub-url</code> cannot be changed later), then deploy:</p>
    <pre tabindex="0" aria-label="Deploy commands"><code>juju add-model MODEL --config charmhub-url=${extras.storeUrl}
${(main ? channels : ['']).map((c) => `juju deploy ${pkg.name}${c ? ` --channel ${short(c)}` : ''}\n`)}</code></pre>
    <p class="muted">
      On a client, <code>CHARMHUB_URL=${extras.storeUrl}</code> points <code>juju info</code>, <code>find</code> and
      <code>download</code> here.
    </p>`
}

export function packagePage(pkg: IndexedPackage, row: Row, extras: PackageExtras): string {
  const resources = [...pkg.resources.values()].sort((a, b) => a.name.localeCompare(b.name))
  const title = pkg.title && pkg.title !== pkg.name ? pkg.title : ''
  const body = html` <p class="muted">
      <a href="${`/?type=${pkg.type}`}">${PLURAL[pkg.type][0]!.toUpperCase() + PLURAL[pkg.type].slice(1)}</a>
    </p>
    <h1><span class="badge">${pkg.type}</span>${pkg.name}</h1>
    ${title ? html`<p class="muted">${title}</p>` : ''} ${pkg.summary ? html`<p><strong>${pkg.summary}</strong></p>` : ''}
    <dl class="facts">
      ${
        pkg.publisher
          ? html`<dt>Publisher</dt>
              <dd>${pkg.publisher['display-name'] || pkg.publisher.username}</dd>`
          : ''
      }
      ${
        row.version
          ? html`<dt>Latest version</dt>
              <dd>${row.version}</dd>`
          : ''
      }
      <dt>Default track</dt>
      <dd><code>${pkg.defaultTrack}</code></dd>
      <dt>Revisions</dt>
      <dd>${pkg.revisions.size}</dd>
    </dl>
    <h2 id="install">${pkg.type === 'snap' ? 'Install' : 'Deploy'}</h2>
    ${commands(pkg, row, extras)}
    <h2 id="channels">Channels</h2>
    ${channelTable(pkg)}
    ${
      pkg.type === 'bundle'
        ? html`<h2 id="contents">Bundle contents</h2>
            ${extras.bundleError ? html`<p class="muted">${extras.bundleError}</p>` : ''}
            ${
              extras.bundleApps && extras.bundleApps.length
                ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="Applications">
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Application</th>
                          <th scope="col">Charm</th>
                          <th scope="col">Channel</th>
                          <th scope="col">Units</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${extras.bundleApps.map(
                          (a) =>
                            html`<tr>
                              <td>${a.app}</td>
                              <td>
                                ${a.inStore ? html`<a href="${packagePath({ type: 'charm', name: a.charm })}">${a.charm}</a>` : a.charm}
                              </td>
                              <td>${a.channel ? html`<code>${a.channel}</code>` : ''}</td>
                              <td class="num">${a.units ?? ''}</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`
                : ''
            }`
        : ''
    }
    ${
      resources.length
        ? html`<h2 id="resources">Resources</h2>
            ${resources.map((r) => resourceSection(r, extras))}`
        : ''
    }
    ${
      pkg.description
        ? html`<h2 id="description">Description</h2>
            <div class="description">${pkg.description}</div>`
        : ''
    }`
  return layout(pkg.name, body)
}

export function errorPage(heading: string, detail: string): string {
  return layout(
    heading,
    html`<h1>${heading}</h1>
      <p>${detail}</p>
      <p><a href="/">Back to the catalog</a></p>`,
  )
}
