// Every download URL the APIs return, built in one place (docs/operations.md, "Download URLs").
export interface PublicUrls {
  charm(packageId: string, revision: number): string
  resource(packageId: string, resource: string, revision: number): string
  snap(snapId: string, revision: number): string
  storeUrl(name: string): string
}

/** `base` is read on every call: with --port 0 it is only known once the server listens. */
export function publicUrls(base: string | (() => string)): PublicUrls {
  const b = typeof base === 'string' ? () => base.replace(/\/+$/, '') : () => base().replace(/\/+$/, '')
  return {
    charm: (id, rev) => `${b()}/api/v1/charms/download/${id}_${rev}.charm`,
    resource: (id, res, rev) => `${b()}/api/v1/resources/download/charm_${id}.${res}_${rev}`,
    snap: (id, rev) => `${b()}/api/v1/snaps/download/${id}_${rev}.snap`,
    storeUrl: (name) => `${b()}/${name}`,
  }
}
