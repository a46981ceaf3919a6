/**
 * Reads the address `/<host>[:<port>]/<path>?<query>`. The host is an upstream name from
 * the policy (one subject token, so it can never widen a subject), the port is digits only
 * and defaults to 443. Anything else is a host we do not have: 404 HOST_NOT_FOUND.
 */
import { createMiddleware } from 'hono/factory'
import { DEFAULT_PORT, GatewayError, TOKEN_PATTERN, type EdgePolicy } from '../../core/index.js'
import type { IngressEnv, Target } from './types.js'

const PORT = /^[0-9]{1,5}$/

function notFound(reason: string): GatewayError {
  return new GatewayError('HOST_NOT_FOUND', { reason })
}

/** Splits a URL into a target; throws HOST_NOT_FOUND when the first segment is not a host of the policy. */
export function parseTarget(url: URL, policy: EdgePolicy): Target {
  const rest = url.pathname.slice(1)
  const slash = rest.indexOf('/')
  const segment = slash === -1 ? rest : rest.slice(0, slash)
  const colon = segment.indexOf(':')
  const host = colon === -1 ? segment : segment.slice(0, colon)
  const portText = colon === -1 ? undefined : segment.slice(colon + 1)
  if (!TOKEN_PATTERN.test(host)) throw notFound('host segment is malformed')
  let port = DEFAULT_PORT
  if (portText !== undefined) {
    if (!PORT.test(portText)) throw notFound('port is not a number')
    port = Number(portText)
    if (port < 1 || port > 65535) throw notFound('port is out of range')
  }
  if (!Object.hasOwn(policy.hosts, host)) throw notFound(`unknown host ${host}`)
  return {
    host,
    port,
    path: slash === -1 ? '/' : rest.slice(slash),
    query: url.search.slice(1),
  }
}

export function addressing(policy: EdgePolicy) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    c.set('target', parseTarget(c.get('url') ?? new URL(c.req.url), policy))
    await next()
  })
}
