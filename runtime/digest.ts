/**
 * SHA-256 in lowercase hex, synchronously (node:crypto), over `parts` in order as one stream:
 * strings as UTF-8, bytes as they are. The edge's (WebCrypto, asynchronous) is core's
 * `sha256Hex`.
 */
import { createHash } from 'node:crypto'

export function sha256HexSync(...parts: ReadonlyArray<string | Uint8Array>): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return hash.digest('hex')
}
