/**
 * Reads the body while counting its bytes and stops with 413 as soon as the route's limit
 * (else the policy's) is passed, so a chunked body without Content-Length is held to the
 * same limit as a declared one. A declared length over the limit is refused before reading.
 */
import { createMiddleware } from 'hono/factory'
import { GatewayError, type EdgePolicy } from '../../core/index.js'
import type { IngressEnv } from './types.js'

function tooLarge(limit: number, reason: string): GatewayError {
  return new GatewayError('BODY_TOO_LARGE', {
    detail: `the body may have at most ${limit} bytes`,
    reason,
  })
}

/** Reads a stream to its end, refusing it once more than `limit` bytes have arrived. */
export async function readLimited(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0)
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(limit, `body passed ${limit} bytes while streaming`)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  const body = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    body.set(chunk, at)
    at += chunk.byteLength
  }
  return body
}

export function bodyLimit(policy: EdgePolicy) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const limit = c.get('route').maxBodyBytes ?? policy.limits.maxBodyBytes
    const declared = c.req.raw.headers.get('content-length')
    if (declared !== null) {
      if (!/^[0-9]{1,16}$/.test(declared.trim())) {
        throw new GatewayError('BAD_REQUEST', { detail: 'Content-Length is not a number' })
      }
      if (Number(declared) > limit)
        throw tooLarge(limit, `Content-Length ${declared} over ${limit}`)
    }
    c.set('body', await readLimited(c.req.raw.body, limit))
    await next()
  })
}
