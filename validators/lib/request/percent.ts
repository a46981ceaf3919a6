/**
 * Strict percent-decoding for paths and queries: every `%` must start a two-digit hex
 * escape, and the decoded bytes must be UTF-8 (an overlong form such as `%C0%AE` is not).
 * `decodeURIComponent` is close, but throws one error for every kind of fault; the
 * validators name the fault.
 */

export type Decoded = { ok: true; text: string } | { ok: false; fault: DecodeFault }
export type DecodeFault = 'bad-escape' | 'bad-utf8'

const utf8 = new TextDecoder('utf-8', { fatal: true })

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/** Decodes `%XX` escapes (and `+` as a space when `plusIsSpace`, as in a query). */
export function percentDecode(raw: string, plusIsSpace = false): Decoded {
  if (!raw.includes('%') && !(plusIsSpace && raw.includes('+'))) {
    return { ok: true, text: raw }
  }
  const bytes = new Uint8Array(raw.length)
  let n = 0
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c === 0x25) {
      const hi = hexValue(raw.charCodeAt(i + 1))
      const lo = hexValue(raw.charCodeAt(i + 2))
      if (hi < 0 || lo < 0) return { ok: false, fault: 'bad-escape' }
      bytes[n++] = (hi << 4) | lo
      i += 2
    } else if (c > 0x7f) {
      // Envelopes carry paths and queries as printable ASCII; anything else is not a URL.
      return { ok: false, fault: 'bad-escape' }
    } else bytes[n++] = plusIsSpace && c === 0x2b ? 0x20 : c
  }
  try {
    return { ok: true, text: utf8.decode(bytes.subarray(0, n)) }
  } catch {
    return { ok: false, fault: 'bad-utf8' }
  }
}

/** The escapes of `raw` decode to `%XX` again: `%252e` is a second layer of encoding. */
export function isDoubleEncoded(raw: string): boolean {
  for (let i = raw.indexOf('%25'); i >= 0; i = raw.indexOf('%25', i + 1)) {
    if (hexValue(raw.charCodeAt(i + 3)) >= 0 && hexValue(raw.charCodeAt(i + 4)) >= 0) return true
  }
  return false
}

/** C0 controls, DEL and C1 controls: never part of a name, an id or a search term. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true
  }
  return false
}
