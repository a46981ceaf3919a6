/** Response headers a client may see. */
import { BANNER_HEADERS, withoutHopAndInternal, type HeaderList } from '../../core/index.js'

/**
 * The response headers a client may see: no hop-by-hop headers (nor those a `Connection`
 * header names), no banners, no internal headers. `content-length` goes too: the body is
 * carried as bytes and the edge frames it itself.
 */
export function hardenResponseHeaders(list: HeaderList): HeaderList {
  return withoutHopAndInternal(list).filter(
    ([name]) => !BANNER_HEADERS.has(name) && name !== 'content-length',
  )
}
