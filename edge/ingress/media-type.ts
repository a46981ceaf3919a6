/**
 * 415 for a body the route does not take: any body on a route without a request body, or a
 * content type the route's OpenAPI document does not declare (`type/*` and `*\/*` ranges
 * in the document are honoured). A body without a content type is refused too.
 */
import { createMiddleware } from 'hono/factory'
import { GatewayError } from '../../core/index.js'
import type { IngressEnv } from './types.js'

/** True when the request announces a body: a non-zero length, or a stream without a length. */
export function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length')
  if (length !== null) return length.trim() !== '0'
  return request.body !== null
}

/** The media type without parameters, lowercased (`application/json; charset=utf-8` -> `application/json`). */
export function essence(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase()
}

export function accepts(declared: readonly string[], mediaType: string): boolean {
  const [type] = mediaType.split('/', 1)
  return declared.some(
    (d) => d === mediaType || d === '*/*' || (d.endsWith('/*') && d.slice(0, -2) === type),
  )
}

function unsupported(reason: string): GatewayError {
  return new GatewayError('UNSUPPORTED_MEDIA_TYPE', { reason })
}

export function mediaType() {
  return createMiddleware<IngressEnv>(async (c, next) => {
    if (hasBody(c.req.raw)) {
      const declared = c.get('route').mediaTypes
      if (declared.length === 0) throw unsupported('the route takes no request body')
      const contentType = c.req.raw.headers.get('content-type')
      if (contentType === null) throw unsupported('a body without a content type')
      const type = essence(contentType)
      if (!accepts(declared, type)) throw unsupported('content type not declared by the route')
    }
    await next()
  })
}
