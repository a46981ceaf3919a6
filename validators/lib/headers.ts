/** Header names the gateway never carries across a hop or out to a client. */
import type { HeaderList } from '../../core/index.js'

/** Connection-level headers (RFC 9110 7.6.1 and the usual non-standard ones). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Headers that tell a client what runs behind the gateway. */
export const BANNERS = new Set([
  'server',
  'x-powered-by',
  'x-aspnet-version',
  'x-aspnetmvc-version',
])

export const INTERNAL_PREFIX = 'portcullis-'

/**
 * The response headers a client may see: no hop-by-hop headers (nor those a `Connection`
 * header names), no banners, no internal headers. `content-length` goes too: the body is
 * carried as bytes and the edge frames it itself.
 */
export function hardenResponseHeaders(list: HeaderList): HeaderList {
  const named = new Set<string>()
  for (const [name, value] of list) {
    if (name === 'connection') for (const n of value.split(',')) named.add(n.trim().toLowerCase())
  }
  return list.filter(
    ([name]) =>
      !HOP_BY_HOP.has(name) &&
      !BANNERS.has(name) &&
      !named.has(name) &&
      !name.startsWith(INTERNAL_PREFIX) &&
      name !== 'content-length',
  )
}
