/**
 * SHA-256 in lowercase hex, through WebCrypto (workerd and Node alike, so asynchronous).
 * On-prem code hashes synchronously with `runtime/digest.ts` (`sha256HexSync`) instead.
 */
const encoder = new TextEncoder()
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  let hex = ''
  for (const b of digest) hex += HEX[b]
  return hex
}
