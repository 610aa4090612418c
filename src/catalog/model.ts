// Plain data the importers hand to the catalog, the same for charms, bundles and snaps.
import type { Base } from './base.js'
import type { Channel } from './channel.js'
import type { Location } from './errors.js'

export type PackageType = 'charm' | 'bundle' | 'snap'

/** A blob's size and digests (hex), computed in one pass when it is stored. snapd wants the SHA3-384 as url-safe base64. */
export interface Digests {
  readonly sha256: string
  readonly sha384: string
  readonly sha3_384: string
  readonly size: number
}

export interface PublisherInfo {
  readonly id: string
  readonly username: string
  readonly 'display-name': string
  readonly validation: string
}

export interface AssertionInput {
  readonly type: string
  readonly primaryKey: string
  readonly revision: number
  readonly bytes: Buffer
  readonly headers: Readonly<Record<string, string>>
}

export interface ResourceRevisionInput {
  readonly name: string
  readonly type: 'file' | 'oci-image'
  readonly revision: number
  readonly blob: Digests
  readonly imageName?: string | undefined
  readonly location: Location
}

export interface RevisionInput {
  readonly type: PackageType
  readonly name: string
  readonly storeId?: string | undefined
  readonly summary: string
  readonly description: string
  readonly title: string
  readonly publisher?: PublisherInfo | undefined
  readonly details: Readonly<Record<string, unknown>>
  /** 0 = assign one: the revision already holding these bytes, else the next free number (synthesised bundles). */
  readonly revision: number
  readonly version: string
  readonly blob: Digests
  readonly platforms: readonly Base[]
  readonly texts: {
    readonly metadataYaml?: string | null
    readonly configYaml?: string | null
    readonly actionsYaml?: string | null
    readonly manifestYaml?: string | null
    readonly bundleYaml?: string | null
    readonly readmeMd?: string | null
    readonly snapYaml?: string | null
  }
  readonly attributes: Readonly<Record<string, string>>
  readonly extra: Readonly<Record<string, unknown>>
  readonly declaredResources: ReadonlyArray<{ name: string; type: 'file' | 'oci-image'; filename: string; description: string }>
  readonly resourceRevisions: readonly ResourceRevisionInput[]
  /** Resource revisions the export's metadata names but does not carry: the store must hold each. */
  readonly expectedResources?: ReadonlyArray<{ readonly name: string; readonly revision: number; readonly location: Location }> | undefined
  /** Where the export wants this revision released, on every platform. */
  readonly channels: readonly Channel[]
  readonly assertions: readonly AssertionInput[]
  /** Bundles: the application → charm map of bundle.yaml; each charm must be in the store by commit time. */
  readonly components?: ReadonlyArray<{ readonly app: string; readonly charm: string }> | undefined
  readonly location: Location
}

export interface ImportOptions {
  /** Overwrite channel pointers from the export (else only empty slots are filled). */
  readonly pushChannelMap: boolean
}

export interface RevisionOutcome {
  readonly type: PackageType
  readonly name: string
  readonly id: string
  readonly revision: number
  readonly status: 'imported' | 'unchanged' | 'updated'
  readonly version: string
  readonly bases: readonly Base[]
  /** Channels this import released the revision to. */
  readonly released: readonly string[]
  /** Channels the export asked for that kept another revision (no --push-channel-map). */
  /** revision null: the channel was closed (airlock close, or its revision removed). */
  readonly held: ReadonlyArray<{ channel: string; base: string; revision: number | null }>
  readonly resources: ReadonlyArray<{ name: string; type: string; revision: number }>
}
