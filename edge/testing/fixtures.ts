/**
 * Test doubles and fixtures for the edge's own tests (never imported by the worker).
 */
import { env } from 'cloudflare:workers'
import {
  GatewayError,
  compileRoutes,
  readEdgePolicy,
  type EdgePolicy,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import { importJWK, type CryptoKey, type JWK } from 'jose'
import type { TestKey } from '../../core/tokens/testing.js'
import type { BearerTokens, Link, RateLimits, TokenServices } from '../ingress/index.js'
import { quotaCounter } from '../quota/client.js'
import { rateLimitBindingOf } from '../settings.js'

/** The policy the pool was given: compiled from the repository's portcullis.config.json. */
export function configuredPolicy(): EdgePolicy {
  return readEdgePolicy(env.POLICY)
}

/**
 * The configured policy with no route asking for claims, for tests of the other checks: no
 * token is needed anywhere (the token steps have tests of their own).
 */
export function openPolicy(): EdgePolicy {
  const base = configuredPolicy()
  const hosts = Object.fromEntries(
    Object.entries(base.hosts).map(([name, table]) => [
      name,
      { ...table, routes: table.routes.map(({ requiredClaims: _, ...route }) => route) },
    ]),
  )
  return { ...base, hosts }
}

/** The real token workers behind the pool's service bindings (auxiliary workers). */
export function tokenServices(): TokenServices {
  return {
    access: env.ACCESS_TOKENS,
    bearer: env.BEARER_TOKENS,
  }
}

/** The pool's real rate-limit bindings (wrangler.toml's) and quota objects. */
export function rateLimits(): RateLimits {
  return {
    limiter: (binding) => rateLimitBindingOf(env, binding),
    quota: quotaCounter(env.RATE_QUOTA),
  }
}

/** The bearer service itself, as the operator's tools reach it: mint and revoke. */
export function bearerService(): BearerTokens {
  return env.BEARER_TOKENS
}

/** A bearer token from the real bearer service, for `sub` with `roles`. */
export async function bearerToken(roles: string[], sub = 'alice'): Promise<string> {
  return (await bearerService().mint({ sub, roles })).token
}

/**
 * The bearer service's own signing key (a test-only binding of the pool, generated per run)
 * as a `TestKey`, for tokens with the right signature and the wrong claims or header.
 */
export async function bearerSigningKey(): Promise<TestKey> {
  const raw = 'TEST_BEARER_KEY' in env ? env.TEST_BEARER_KEY : undefined
  if (typeof raw !== 'string')
    throw new Error('TEST_BEARER_KEY unbound (edge/vitest.config.ts binds it)')
  const { d: _, ...pub } = JSON.parse(raw) as JWK
  const jwk = { ...pub, alg: 'EdDSA', use: 'sig' }
  return {
    kid: String(pub.kid),
    alg: 'EdDSA',
    privateKey: (await importJWK(JSON.parse(raw) as JWK, 'EdDSA')) as CryptoKey,
    publicKey: (await importJWK(pub, 'EdDSA')) as CryptoKey,
    jwk,
  }
}

/** A host whose routes declare every port, so the firewall alone decides what passes. */
export function policyWithAllPorts(deployment: EdgePolicy['deployment']): EdgePolicy {
  const base = configuredPolicy()
  const ports = [443, 80, 444, 417, 428, 888, 666, 8443, 22, 1]
  const wide = compileRoutes('wide', {
    openapi: '3.1.0',
    paths: { '/ping': { get: { operationId: 'ping', 'x-portcullis-ports': ports } } },
  })
  return { ...base, deployment, hosts: { ...base.hosts, wide } }
}

export interface RecordingLink extends Link {
  sent: Array<{ request: RequestEnvelope; timeoutMs: number }>
}

type Answer = (request: RequestEnvelope) => Partial<ResponseEnvelope> | GatewayError

/** A link that records what it was asked and answers with `answer` (200 `ok` by default). */
export function recordingLink(answer: Answer = () => ({})): RecordingLink {
  const sent: RecordingLink['sent'] = []
  return {
    sent,
    async send(request, timeoutMs) {
      sent.push({ request, timeoutMs })
      const a = answer(request)
      if (a instanceof GatewayError) throw a
      return {
        request: { ...request },
        status: 200,
        headers: [['content-type', 'text/plain']],
        body: new TextEncoder().encode('ok'),
        ...a,
      }
    },
  }
}
