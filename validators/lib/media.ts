/**
 * Media types and strict JSON bodies. How a media type is read and matched is core's
 * (core/policy/media-type.ts), so the edge and both validators decide alike.
 */
export {
  isJsonMediaType,
  matchMediaType,
  parseMediaType,
  type MediaType,
} from '../../core/index.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: string }

/** Parses a body as UTF-8 JSON; invalid UTF-8 is an error, never replaced. */
export function parseJson(body: Uint8Array): JsonParse {
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    return { ok: false, reason: 'body is not valid UTF-8' }
  }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, reason: 'body is not valid JSON' }
  }
}
