/**
 * Cookie hardening: every `Set-Cookie` an upstream sends is rewritten with `Secure`,
 * `HttpOnly` and the configured `SameSite`, whatever it asked for. Parsing and writing are
 * the `cookie` package's (jshttp, the parser Express uses): its parser keeps the attributes it
 * knows (`Expires`, `Max-Age`, `Domain`, `Path`, `Priority`, `Partitioned`) and forgets any
 * other, and its writer refuses a name, value, domain or path outside RFC 6265's grammar.
 * The value is carried as the upstream wrote it, never decoded and encoded again.
 */
import { parseSetCookie, stringifySetCookie } from 'cookie'
import type { CookieSameSite } from '../../../core/index.js'

export type CookieResult = { ok: true; value: string } | { ok: false; reason: string }

const asWritten = (s: string) => s

/** The `Set-Cookie` value with the forced attributes, or why it cannot be one. */
export function hardenSetCookie(header: string, sameSite: CookieSameSite): CookieResult {
  const cookie = parseSetCookie(header, { decode: asWritten })
  try {
    const value = stringifySetCookie(
      {
        ...cookie,
        secure: true,
        httpOnly: true,
        sameSite: sameSite === 'Strict' ? 'strict' : 'lax',
      },
      { encode: asWritten },
    )
    return { ok: true, value }
  } catch (e) {
    // The cookie package names the part it refused and quotes it; keep only the part.
    const part = /^(?:argument|option) (\w+)/.exec((e as Error).message)?.[1] ?? 'cookie'
    return { ok: false, reason: `set-cookie has an invalid ${part === 'val' ? 'value' : part}` }
  }
}
