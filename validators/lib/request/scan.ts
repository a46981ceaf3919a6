/**
 * Runs a route's injection scanner over everything the client chose: path parameter values,
 * query names and values, and every key and string of a JSON body. The first hit is
 * INJECTION_DETECTED, naming the class and where (a parameter or a JSON pointer), never
 * the text.
 */
import { GatewayError } from '../../../core/index.js'
import type { InjectionClass, InjectionScanner } from './injection.js'
import type { QueryValues } from './query.js'

export interface ScanInput {
  pathParams: Record<string, string>
  query: QueryValues
  /** The parsed JSON body, when there is one. */
  body?: unknown
}

function detected(found: InjectionClass, where: string): GatewayError {
  const detail = `${found} injection signature in ${where.replace(/[^\x20-\x7e]/g, '?').slice(0, 160)}`
  return new GatewayError('INJECTION_DETECTED', { detail, reason: detail })
}

function scanJson(value: unknown, scan: InjectionScanner, at: string): void {
  if (typeof value === 'string') {
    const found = scan(value)
    if (found) throw detected(found, `body ${at || '/'}`)
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) scanJson(value[i], scan, `${at}/${i}`)
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      const path = `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
      const found = scan(key)
      if (found) throw detected(found, `body key ${path}`)
      scanJson(v, scan, path)
    }
  }
}

export function scanRequest(input: ScanInput, scan: InjectionScanner): void {
  for (const [name, value] of Object.entries(input.pathParams)) {
    const found = scan(value)
    if (found) throw detected(found, `path parameter ${name}`)
  }
  for (const [name, values] of input.query) {
    const inName = scan(name)
    if (inName) throw detected(inName, 'a query parameter name')
    for (const value of values) {
      const found = scan(value)
      if (found) throw detected(found, `query parameter ${name}`)
    }
  }
  if (input.body !== undefined) scanJson(input.body, scan, '')
}
