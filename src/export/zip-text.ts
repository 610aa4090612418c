// One small text file out of a downloaded zip (a bundle's bundle.yaml), size-capped as it inflates.
import yauzl from 'yauzl'
import { ExportError } from './errors.js'

const MAX_TEXT_BYTES = 4 << 20

export function readZipText(path: string, entryName: string): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) {
        reject(new ExportError(`not a zip archive: ${err?.message ?? 'unreadable'}`))
        return
      }
      let found = false
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName !== entryName) {
          zip.readEntry()
          return
        }
        found = true
        if (e.uncompressedSize > MAX_TEXT_BYTES) {
          zip.close()
          reject(new ExportError(`${entryName} is larger than ${MAX_TEXT_BYTES} bytes`))
          return
        }
        zip.openReadStream(e, (err2, stream) => {
          if (err2 || !stream) {
            zip.close()
            reject(new ExportError(`${entryName}: ${err2?.message ?? 'unreadable'}`))
            return
          }
          const parts: Buffer[] = []
          stream.on('data', (c: Buffer) => parts.push(c))
          stream.on('error', (e3) => {
            zip.close()
            reject(new ExportError(`${entryName}: ${e3.message}`))
          })
          stream.on('end', () => {
            zip.close()
            resolve(Buffer.concat(parts).toString('utf8'))
          })
        })
      })
      zip.on('end', () => {
        if (!found) reject(new ExportError(`the archive has no ${entryName}`))
      })
      zip.on('error', (e: Error) => reject(new ExportError(`not a zip archive: ${e.message}`)))
      zip.readEntry()
    })
  })
}
