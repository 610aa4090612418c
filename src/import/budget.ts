// Decompression-bomb accounting for one export: every byte a decompressor produces counts as
// unpacked, every byte of the upload as packed. Checked as bytes flow, so a bomb is stopped early.
import type { ImportLimits } from '../config/schema.js'
import { InvalidInput, type Location } from '../catalog/errors.js'
import { formatBytes } from '../config/size.js'

export class UnpackBudget {
  packed = 0
  unpacked = 0

  constructor(private readonly limits: ImportLimits) {}

  addPacked(n: number): void {
    this.packed += n
  }

  /** Throws InvalidInput naming `where` when the export unpacks too far. */
  addUnpacked(n: number, where: Location): void {
    this.unpacked += n
    const l = this.limits
    if (this.unpacked > l.maxUnpackedBytes) {
      throw new InvalidInput(where, `unpacks to more than ${formatBytes(l.maxUnpackedBytes)} (limit limits.max-unpacked-bytes)`)
    }
    if (this.unpacked > l.ratioGraceBytes && this.unpacked > this.packed * l.maxExpansionRatio) {
      throw new InvalidInput(
        where,
        `expands more than ${l.maxExpansionRatio}x (${formatBytes(this.unpacked)} from ${formatBytes(this.packed)}): refused as a decompression bomb (limit limits.max-expansion-ratio)`,
      )
    }
  }
}
