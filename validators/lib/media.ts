/** Media types and strict JSON bodies. */

export interface MediaType {
  /** `type/subtype`, lowercase. */
  essence: string
  params: Record<string, string>
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/

/** Parses a Content-Type value; undefined when it is not one. */
export function parseMediaType(value: string | undefined): MediaType | undefined {
  if (value === undefined) return undefined
  const [head, ...rest] = value.split(';')
  const essence = head!.trim().toLowerCase()
  const [type, subtype, extra] = essence.split('/')
  if (extra !== undefined || !type || !subtype || !TOKEN.test(type) || !TOKEN.test(subtype)) {
    return undefined
  }
  const params: Record<string, string> = {}
  for (const part of rest) {
    const eq = part.indexOf('=')
    if (eq < 0) return undefined
    const name = part.slice(0, eq).trim().toLowerCase()
    let v = part.slice(eq + 1).trim()
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
    if (!TOKEN.test(name)) return undefined
    params[name] = v
  }
  return { essence, params }
}

export function isJsonMediaType(essence: string): boolean {
  return (
    essence === 'application/json' ||
    (essence.startsWith('application/') && essence.endsWith('+json'))
  )
}

/**
 * The declared media type (an OpenAPI content key) that covers `essence`: an exact match
 * first, then `type/*`, then `*\/*`.
 */
export function matchMediaType(declared: Iterable<string>, essence: string): string | undefined {
  const keys = [...declared].map((k) => k.toLowerCase())
  const bare = keys.map((k) => k.split(';')[0]!.trim())
  const exact = bare.indexOf(essence)
  if (exact >= 0) return keys[exact]
  const range = bare.indexOf(`${essence.split('/')[0]}/*`)
  if (range >= 0) return keys[range]
  const any = bare.indexOf('*/*')
  return any >= 0 ? keys[any] : undefined
}

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
