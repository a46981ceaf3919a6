import { ERROR_TABLE, type ErrorCode } from './table.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'
const PROBLEM_TYPE_BASE = 'https://portcullis.dev/problems/'

export interface Problem {
  type: string
  title: string
  status: number
  code: ErrorCode
  requestId: string
  detail?: string
  /** The RFC 6749 error code, on the answers of the token endpoint. */
  error?: string
  /**
   * Set when the upstream received a non-safe request (POST, PUT, PATCH, DELETE) and may have
   * applied it, but its answer could not be delivered: the client must not assume nothing
   * happened (look the write up, or retry with the same request id as idempotency key).
   */
  upstreamMayHaveCommitted?: true
}

/** The client-facing body for a code: generic title, stable code, the request id. */
export function problemFor(code: ErrorCode, requestId: string, detail?: string): Problem {
  const entry: {
    status: number
    title: string
    oauthError?: string
    upstreamMayHaveCommitted?: true
  } = ERROR_TABLE[code]
  const problem: Problem = {
    type: PROBLEM_TYPE_BASE + code.toLowerCase().replaceAll('_', '-'),
    title: entry.title,
    status: entry.status,
    code,
    requestId,
  }
  if (entry.oauthError) problem.error = entry.oauthError
  if (entry.upstreamMayHaveCommitted) problem.upstreamMayHaveCommitted = true
  if (detail) problem.detail = detail.slice(0, 500)
  return problem
}
