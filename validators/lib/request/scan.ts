/**
 * Runs a route's injection scanner over everything the client chose: path parameter values,
 * query names and values, the operation's declared header parameters, and every key and
 * string of a JSON body. As in the Core Rule Set's anomaly scoring, the scores of the rules
 * that fire add up over the whole request (each rule counts once) and the request is refused
 * when the sum reaches the threshold: INJECTION_DETECTED, naming the class and where (a
 * parameter, a header or a JSON pointer), never the text. The reason, for the log and the
 * audit trail, names the rule ids.
 */
import { GatewayError } from '../../../core/index.js'
import { strongest, type InjectionScanner, type Place, type RuleHit } from './injection.js'
import type { QueryValues } from './query.js'

export interface ScanInput {
  pathParams: Record<string, string>
  query: QueryValues
  /** The values of the operation's declared header parameters, by lowercase name. */
  headers?: ReadonlyArray<readonly [string, string]>
  /** The parsed JSON body, when there is one. */
  body?: unknown
}

const VALUE: Place = { name: false, query: false }
const NAME: Place = { name: true, query: false }
const QUERY_VALUE: Place = { name: false, query: true }
const QUERY_NAME: Place = { name: true, query: true }

function shown(where: string): string {
  return where.replace(/[^\x20-\x7e]/g, '?').slice(0, 160)
}

/** One request's anomaly score. */
class Tally {
  private score = 0
  private readonly fired = new Map<number, RuleHit>()
  constructor(private readonly scanner: InjectionScanner) {}

  read(text: string, place: Place, where: () => string): void {
    const hits = this.scanner.check(text, place)
    if (hits.length === 0) return
    let added = false
    for (const h of hits) {
      if (this.fired.has(h.id)) continue
      this.fired.set(h.id, h)
      this.score += h.score
      added = true
    }
    if (added && this.score >= this.scanner.threshold) {
      const found = strongest(hits).class
      const detail = `${found} injection signature in ${shown(where())}`
      const ids = [...this.fired.keys()].join(', ')
      const reason = `${detail}; rules ${ids} (anomaly score ${this.score}, threshold ${this.scanner.threshold}, paranoia ${this.scanner.paranoia})`
      throw new GatewayError('INJECTION_DETECTED', { detail, reason })
    }
  }
}

function pointer(at: string, key: string): string {
  return `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
}

function scanJson(value: unknown, tally: Tally, at: string): void {
  if (typeof value === 'string') {
    tally.read(value, VALUE, () => `body ${at || '/'}`)
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) scanJson(value[i], tally, `${at}/${i}`)
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      tally.read(key, NAME, () => `a body key in ${at || '/'}`)
      scanJson((value as Record<string, unknown>)[key], tally, pointer(at, key))
    }
  }
}

export function scanRequest(input: ScanInput, scanner: InjectionScanner): void {
  const tally = new Tally(scanner)
  for (const [name, value] of Object.entries(input.pathParams)) {
    tally.read(value, VALUE, () => `path parameter ${name}`)
  }
  for (const [name, values] of input.query) {
    tally.read(name, QUERY_NAME, () => 'a query parameter name')
    for (const value of values) tally.read(value, QUERY_VALUE, () => `query parameter ${name}`)
  }
  for (const [name, value] of input.headers ?? []) {
    tally.read(value, VALUE, () => `header ${name}`)
  }
  if (input.body !== undefined) scanJson(input.body, tally, '')
}
