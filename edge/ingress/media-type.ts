/**
 * 415 for a body the route does not take: any body on a route without a request body, a
 * body without a content type, or one the route's OpenAPI document does not declare. The
 * rule is core's `checkBodyMediaType` (ranges, parameters, charset: core/policy/README.md),
 * the request validator's too; the edge only says whether the request has a body.
 */
import { createMiddleware } from 'hono/factory'
import { checkBodyMediaType, parseMediaType } from '../../core/index.js'
import type { IngressEnv } from './types.js'

/** True when the request announces a body: a non-zero length, or a stream without a length. */
export function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length')
  if (length !== null) return length.trim() !== '0'
  return request.body !== null
}

/** The media type without parameters, lowercased; empty when the value is not a media type. */
export function essence(contentType: string): string {
  return parseMediaType(contentType)?.essence ?? ''
}

export function mediaType() {
  return createMiddleware<IngressEnv>(async (c, next) => {
    if (hasBody(c.req.raw)) {
      checkBodyMediaType(c.get('route').mediaTypes, c.req.raw.headers.get('content-type'))
    }
    await next()
  })
}
