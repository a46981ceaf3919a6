/**
 * The NATS headers an envelope is sent with: a `MsgHdrs` that keeps its fields in one map and
 * writes them in one pass. nats-core's own implementation lists and scans every key on each
 * `get`, `set` and `append` (for the case-insensitive matches it offers), which for an
 * envelope's fifteen-odd fields cost a stage more per message than its own checks. Same
 * rules as nats-core: a name is printable ASCII without a colon, a value has no CR or LF and
 * is trimmed, and a match other than exact falls back to a scan.
 */
import { canonicalMIMEHeaderKey, Match, type MsgHdrs } from '@nats-io/nats-core'

const encoder = new TextEncoder()
const HEADER_LINE = 'NATS/1.0'
/** Printable ASCII (33-126) except the colon. */
const NAME = /^[!-9;-~]+$/
/** Names already found valid: an envelope's names repeat on every message. */
const validNames = new Set<string>()
const MAX_REMEMBERED_NAMES = 1_000

function checkName(k: string): void {
  if (validNames.has(k)) return
  if (!NAME.test(k)) throw new TypeError(`invalid header name ${JSON.stringify(k)}`)
  if (validNames.size < MAX_REMEMBERED_NAMES) validNames.add(k)
}

export class WireHeaders implements MsgHdrs {
  readonly #fields = new Map<string, string[]>()
  code = 0
  description = ''

  get hasError(): boolean {
    return this.code >= 300
  }

  get status(): string {
    return `${this.code} ${this.description}`.trim()
  }

  #keyOf(k: string, match: Match): string | undefined {
    if (match === Match.Exact) return this.#fields.has(k) ? k : undefined
    const wanted = match === Match.CanonicalMIME ? canonicalMIMEHeaderKey(k) : k.toLowerCase()
    for (const key of this.#fields.keys()) {
      if ((match === Match.CanonicalMIME ? key : key.toLowerCase()) === wanted) return key
    }
    return undefined
  }

  #keysOf(k: string, match: Match): string[] {
    if (match === Match.Exact) return this.#fields.has(k) ? [k] : []
    const wanted = match === Match.CanonicalMIME ? canonicalMIMEHeaderKey(k) : k.toLowerCase()
    return [...this.#fields.keys()].filter(
      (key) => (match === Match.CanonicalMIME ? key : key.toLowerCase()) === wanted,
    )
  }

  get(k: string, match: Match = Match.Exact): string {
    const key = this.#keyOf(k, match)
    return key === undefined ? '' : (this.#fields.get(key)?.[0] ?? '')
  }

  last(k: string, match: Match = Match.Exact): string {
    const key = this.#keyOf(k, match)
    const values = key === undefined ? undefined : this.#fields.get(key)
    return values?.[values.length - 1] ?? ''
  }

  has(k: string, match: Match = Match.Exact): boolean {
    return this.#keyOf(k, match) !== undefined
  }

  keys(): string[] {
    return [...this.#fields.keys()]
  }

  values(k: string, match: Match = Match.Exact): string[] {
    return this.#keysOf(k, match).flatMap((key) => this.#fields.get(key) ?? [])
  }

  set(k: string, v: string, match: Match = Match.Exact): void {
    this.delete(k, match)
    this.append(k, v, match)
  }

  append(k: string, v: string, match: Match = Match.Exact): void {
    checkName(k)
    if (v.includes('\r') || v.includes('\n')) {
      throw new TypeError('header values cannot contain \\r or \\n')
    }
    const name = match === Match.CanonicalMIME ? canonicalMIMEHeaderKey(k) : k
    const key = this.#keyOf(name, match) ?? name
    const values = this.#fields.get(key)
    if (values) values.push(v.trim())
    else this.#fields.set(key, [v.trim()])
  }

  delete(k: string, match: Match = Match.Exact): void {
    for (const key of this.#keysOf(k, match)) this.#fields.delete(key)
  }

  [Symbol.iterator](): IterableIterator<[string, string[]]> {
    return this.#fields.entries()
  }

  toString(): string {
    if (this.#fields.size === 0 && this.code === 0) return ''
    let text =
      this.code > 0 && this.description
        ? `${HEADER_LINE} ${this.code} ${this.description}`
        : HEADER_LINE
    for (const [k, values] of this.#fields) for (const v of values) text += `\r\n${k}: ${v}`
    return `${text}\r\n\r\n`
  }

  /** The header block as nats-core sends it (`publish` calls this). */
  encode(): Uint8Array {
    return encoder.encode(this.toString())
  }
}
