/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
 * a request carries from the client through every bus to the upstream. Pure functions, for
 * workerd and Node alike.
 *
 * A client's `traceparent` that does not parse is not an error: as the recommendation asks,
 * the edge starts a new trace instead (and drops the `tracestate` that came with it). The
 * on-prem side decodes what the envelope carries strictly: a malformed value there is an
 * envelope error, since only the gateway writes it.
 */

export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string
  /** The span that sent the request on (16 lowercase hex digits, not all zero). */
  parentId: string
  /** Trace flags, 2 hex digits (`01`: sampled). */
  flags: string
  /** The vendors' `tracestate`, as received (validated, at most 32 members, 512 bytes). */
  state?: string
}

export const TRACEPARENT_HEADER = 'traceparent'
export const TRACESTATE_HEADER = 'tracestate'
export const MAX_TRACESTATE_BYTES = 512
const MAX_TRACESTATE_MEMBERS = 32

const HEX = /^[0-9a-f]+$/
const ZEROS = /^0+$/
// key: a lowercase simple key or a tenant@system multi-tenant key; value: printable ASCII
// but `,` and `=`, no trailing space.
const STATE_KEY =
  /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/
const STATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/

/**
 * Parses a `traceparent`: version 00 exactly, or a later version by its first four fields
 * (the recommendation's forward compatibility); undefined when it does not parse.
 */
export function parseTraceparent(value: string): Omit<TraceContext, 'state'> | undefined {
  const v = value.trim()
  if (v.length < 55) return undefined
  const [version, traceId, parentId, flags, ...rest] = v.split('-')
  if (!version || !traceId || !parentId || !flags) return undefined
  if (version.length !== 2 || !HEX.test(version) || version === 'ff') return undefined
  if (version === '00' && (v.length !== 55 || rest.length > 0)) return undefined
  if (version !== '00' && v.length > 55 && v[55] !== '-') return undefined
  if (traceId.length !== 32 || !HEX.test(traceId) || ZEROS.test(traceId)) return undefined
  if (parentId.length !== 16 || !HEX.test(parentId) || ZEROS.test(parentId)) return undefined
  if (flags.length !== 2 || !HEX.test(flags)) return undefined
  return {
    traceId,
    parentId,
    flags,
  }
}

/** A `tracestate` as the recommendation allows it, else undefined (then it is dropped). */
export function parseTracestate(value: string): string | undefined {
  if (value.length > MAX_TRACESTATE_BYTES) return undefined
  const members = value
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0)
  if (members.length === 0 || members.length > MAX_TRACESTATE_MEMBERS) return undefined
  const keys = new Set<string>()
  for (const m of members) {
    const eq = m.indexOf('=')
    if (eq < 1) return undefined
    const key = m.slice(0, eq)
    if (!STATE_KEY.test(key) || !STATE_VALUE.test(m.slice(eq + 1)) || keys.has(key))
      return undefined
    keys.add(key)
  }
  return members.join(',')
}

export function formatTraceparent(t: Pick<TraceContext, 'traceId' | 'parentId' | 'flags'>): string {
  return `00-${t.traceId}-${t.parentId}-${t.flags}`
}

function randomHex(bytes: number): string {
  for (;;) {
    const b = crypto.getRandomValues(new Uint8Array(bytes))
    let out = ''
    for (const x of b) out += x.toString(16).padStart(2, '0')
    if (!ZEROS.test(out)) return out
  }
}

export const newTraceId = (): string => randomHex(16)
export const newSpanId = (): string => randomHex(8)

/**
 * The trace a request continues at the edge: the client's, when its `traceparent` parses
 * (with its `tracestate`, when that parses too), else a new sampled one; `spanId` is the
 * edge's own span, the parent of whatever comes next.
 */
export function continueTrace(
  traceparent: string | null,
  tracestate: string | null,
  spanId: string = newSpanId(),
): TraceContext {
  const client = traceparent === null ? undefined : parseTraceparent(traceparent)
  if (!client) return { traceId: newTraceId(), parentId: spanId, flags: '01' }
  const state = tracestate === null ? undefined : parseTracestate(tracestate)
  return { traceId: client.traceId, parentId: spanId, flags: client.flags, ...(state && { state }) }
}

/** The same trace, sent on by `spanId` (the parent of the next hop). */
export function childOf(t: TraceContext, spanId: string = newSpanId()): TraceContext {
  return { ...t, parentId: spanId }
}
