/**
 * The console's HTTP surface: the page and its script (no data in them), and a JSON API that
 * answers only with the login token (`Authorization: Bearer`). GET only; every refusal is
 * problem+json with a stable code. The page is never framed and loads nothing but itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import {
  AUDIT_VERDICTS,
  failureReason,
  isRequestId,
  newRequestId,
  PROBLEM_CONTENT_TYPE,
  problemFor,
  type AuditVerdict,
  type ErrorCode,
} from '../core/index.js'
import type { AuditQuery } from '../audit/store/index.js'
import { closeServer } from '../runtime/index.js'
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './page.js'

export interface ConsoleApi {
  authorized(authorization: string | undefined): boolean
  overview(): unknown
  audit(query: AuditQuery): Promise<unknown>
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
}

const STATIC: Record<string, [string, string]> = {
  '/': ['text/html; charset=utf-8', PAGE_HTML],
  '/console.js': ['text/javascript; charset=utf-8', PAGE_JS],
  '/console.css': ['text/css; charset=utf-8', PAGE_CSS],
}

const MAX_LIMIT = 500
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/

class BadQuery extends Error {}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type })
  res.end(body)
}

function problem(
  res: ServerResponse,
  code: ErrorCode,
  detail?: string,
  extra: Record<string, string> = {},
) {
  const p = problemFor(code, newRequestId(), detail)
  res.writeHead(p.status, { ...SECURITY_HEADERS, ...extra, 'content-type': PROBLEM_CONTENT_TYPE })
  res.end(JSON.stringify(p))
}

/** The audit search a query string asks for; BadQuery names what is wrong. */
export function auditQueryOf(params: URLSearchParams): AuditQuery {
  for (const k of params.keys()) {
    if (!['request', 'since', 'until', 'verdict', 'limit'].includes(k))
      throw new BadQuery(`unknown parameter ${k.slice(0, 32)}`)
  }
  const one = (k: string) => {
    const all = params.getAll(k)
    if (all.length > 1) throw new BadQuery(`${k} given twice`)
    return all[0] === '' ? undefined : all[0]
  }
  const query: AuditQuery = {}
  const request = one('request')
  if (request !== undefined) {
    if (!isRequestId(request)) throw new BadQuery('request: not a request id')
    query.requestId = request
  }
  for (const k of ['since', 'until'] as const) {
    const v = one(k)
    if (v === undefined) continue
    if (!ISO.test(v) || Number.isNaN(Date.parse(v)))
      throw new BadQuery(`${k}: not an ISO 8601 time`)
    query[k] = v
  }
  const verdict = one('verdict')
  if (verdict !== undefined) {
    if (!(AUDIT_VERDICTS as readonly string[]).includes(verdict))
      throw new BadQuery(`verdict: one of ${AUDIT_VERDICTS.join(', ')}`)
    query.verdict = verdict as AuditVerdict
  }
  const limit = one('limit')
  query.limit = MAX_LIMIT
  if (limit !== undefined) {
    if (!/^[1-9]\d{0,3}$/.test(limit) || Number(limit) > MAX_LIMIT)
      throw new BadQuery(`limit: 1 to ${MAX_LIMIT}`)
    query.limit = Number(limit)
  }
  if (!query.requestId && !query.since && !query.until && !query.verdict) {
    throw new BadQuery('give a request id, a time range or a verdict')
  }
  return query
}

export function consoleHandler(api: ConsoleApi) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://console')
    } catch {
      return problem(res, 'BAD_REQUEST', 'not a URL')
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return problem(res, 'METHOD_NOT_ALLOWED', undefined, { allow: 'GET, HEAD' })
    }
    const page = STATIC[url.pathname]
    if (page) return send(res, 200, page[0], page[1])
    if (!url.pathname.startsWith('/api/')) return problem(res, 'ROUTE_NOT_FOUND')
    if (!api.authorized(req.headers.authorization)) {
      return problem(res, 'TOKEN_MISSING', 'the console token printed by portcullis up', {
        'www-authenticate': 'Bearer realm="portcullis-console"',
      })
    }
    if (url.pathname === '/api/overview') {
      return send(res, 200, 'application/json', JSON.stringify(api.overview()))
    }
    if (url.pathname === '/api/audit') {
      let query: AuditQuery
      try {
        query = auditQueryOf(url.searchParams)
      } catch (e) {
        if (e instanceof BadQuery) return problem(res, 'BAD_REQUEST', e.message)
        throw e
      }
      api.audit(query).then(
        (events) => send(res, 200, 'application/json', JSON.stringify({ events })),
        (e: unknown) =>
          problem(res, 'INTERNAL_ERROR', `audit trail: ${failureReason(e)}`.slice(0, 300)),
      )
      return
    }
    return problem(res, 'ROUTE_NOT_FOUND')
  }
}

export async function serveConsole(
  api: ConsoleApi,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(consoleHandler(api))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') {
    throw new Error('unreachable: a TCP listener has a port')
  }
  return {
    port: address.port,
    close: () => closeServer(server),
  }
}
