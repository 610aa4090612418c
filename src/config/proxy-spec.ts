// The syntax of one trusted-proxies entry, checked when the configuration is read.
import { isIP } from 'node:net'

/** An address (`10.0.0.5`, `fd00::1`) or a CIDR block (`10.0.0.0/8`, `fd00::/64`). */
export function isProxySpec(spec: string): boolean {
  const [addr, bits, ...rest] = spec.split('/')
  if (rest.length > 0 || addr === undefined) return false
  const family = isIP(addr)
  if (family === 0) return false
  if (bits === undefined) return true
  if (!/^\d{1,3}$/.test(bits)) return false
  return Number(bits) <= (family === 4 ? 32 : 128)
}
