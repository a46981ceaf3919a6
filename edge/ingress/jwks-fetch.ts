/**
 * How the worker fetches an identity provider's pinned JWKS: GET, no redirects followed
 * (a redirect could leave the pinned origin), a timeout, a 2xx JSON answer of bounded size.
 * The key set parses and checks the text; a failure here keeps the last good keys.
 */
import { KEYSET_DEFAULTS } from '../../core/index.js'

export function jwksFetcher(
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): (url: string) => Promise<string> {
  return async (url) => {
    const res = await fetcher(url, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel()
      throw new Error(`JWKS fetch answered ${res.status}`)
    }
    const declared = Number(res.headers.get('content-length') ?? 0)
    if (declared > KEYSET_DEFAULTS.maxJwksBytes) {
      await res.body?.cancel()
      throw new Error('JWKS too large')
    }
    const text = await res.text()
    if (text.length > KEYSET_DEFAULTS.maxJwksBytes) throw new Error('JWKS too large')
    return text
  }
}
