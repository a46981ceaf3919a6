/**
 * Reads the worker's bindings once per isolate. Anything missing or malformed makes the
 * worker answer 500 INTERNAL_ERROR to every request (closed by default) and names the
 * binding in the log; a secret's value is never echoed.
 */
import {
  edgeRateLimitTiers,
  failureReason,
  isSubjectToken,
  parseUserCreds,
  readEdgePolicy,
  SetupError,
  type EdgePolicy,
} from '../core/index.js'
import { CLIENT_ADDRESS_SOURCES, type ClientAddressSource } from './ingress/index.js'
import { MAX_POOL_SIZE } from './link/constants.js'
import { linkUrlsOf } from './link/urls.js'

export interface EdgeSettings {
  policy: EdgePolicy
  edgeId: string
  /** Link pool shards (Durable Objects, each one connection) per edge location. */
  poolSize: number
  /** Every link node's websocket URL. */
  linkUrls: string[]
  /** Where the rate limits' client address comes from (`CLIENT_ADDRESS`, default `local`). */
  clientAddress: ClientAddressSource
  /** The collector the edge posts its spans to (`OTLP_TRACES_URL`), when set. */
  otlpTracesUrl?: string
}

/** A binding the worker cannot run with: the policy keeps its reader's own code. */
function fail(binding: string, what: string, cause?: unknown): never {
  const code = cause instanceof SetupError ? cause.code : 'ENV_INVALID'
  throw new SetupError(code, `binding ${binding}: ${what}`, {
    key: binding,
    ...(cause === undefined ? {} : { cause }),
  })
}

type RateLimitBinding = `RATE_LIMIT_${number}_PER_${number}`
const RATE_LIMIT_BINDING = /^RATE_LIMIT_[0-9]+_PER_[0-9]+$/

function isRateLimitBinding(name: string): name is RateLimitBinding {
  return RATE_LIMIT_BINDING.test(name)
}

/** The rate-limit binding `name` (`RATE_LIMIT_<limit>_PER_<period>`), when the worker has it. */
export function rateLimitBindingOf(env: Env, name: string): RateLimit | undefined {
  return isRateLimitBinding(name) ? env[name] : undefined
}

/** `bundledPolicy`: the policy built into the worker, which then must not also come as a var. */
export function readSettings(env: Env, bundledPolicy?: unknown): EdgeSettings {
  let policy: EdgePolicy
  if (bundledPolicy !== undefined && env.POLICY !== undefined) {
    fail('POLICY', 'the policy is bundled into the worker; a POLICY var beside it is refused')
  }
  try {
    policy = readEdgePolicy(bundledPolicy ?? env.POLICY)
  } catch (e) {
    fail('POLICY', e instanceof SetupError ? e.message : failureReason(e), e)
  }
  if (typeof env.EDGE_ID !== 'string' || !isSubjectToken(env.EDGE_ID)) {
    fail('EDGE_ID', 'must be a lowercase name (letters, digits, dashes)')
  }
  const poolSize = Number(env.LINK_POOL_SIZE)
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > MAX_POOL_SIZE) {
    fail('LINK_POOL_SIZE', `must be an integer from 1 to ${MAX_POOL_SIZE}`)
  }
  const linkUrls = linkUrlsOf(env.LINK_URL)
  if (!linkUrls) {
    fail(
      'LINK_URL',
      'must be ws://host:port or wss://host:port, one per link node, comma-separated',
    )
  }
  if (typeof env.LINK_CREDS !== 'string' || !parseUserCreds(env.LINK_CREDS)) {
    fail('LINK_CREDS', 'must be a NATS user creds file (a user JWT and its nkey seed)')
  }
  if (!env.LINK_POOL) fail('LINK_POOL', 'Durable Object namespace missing')
  // Every route's rate limit, and the token endpoint's, needs its binding.
  for (const { binding } of edgeRateLimitTiers(policy)) {
    if (typeof rateLimitBindingOf(env, binding)?.limit !== 'function') {
      fail(binding, 'rate-limit binding missing')
    }
  }
  // Always bound (wrangler.toml declares it): a policy that gains a quota route needs no new binding.
  if (!env.RATE_QUOTA) fail('RATE_QUOTA', 'Durable Object namespace missing')
  // Absent: `local`, where a client-sent CF-Connecting-IP is not believed. Only a deployment on
  // Cloudflare, which sets that header itself, says `cloudflare`.
  const clientAddress = env.CLIENT_ADDRESS ?? 'local'
  if (!(CLIENT_ADDRESS_SOURCES as readonly string[]).includes(clientAddress)) {
    fail('CLIENT_ADDRESS', `must be one of ${CLIENT_ADDRESS_SOURCES.join(', ')}`)
  }
  const otlpTracesUrl = env.OTLP_TRACES_URL
  if (
    otlpTracesUrl !== undefined &&
    otlpTracesUrl !== '' &&
    !/^https?:\/\/\S+$/.test(otlpTracesUrl)
  ) {
    fail('OTLP_TRACES_URL', 'must be an http(s) URL')
  }
  return {
    ...(otlpTracesUrl && { otlpTracesUrl }),
    policy,
    edgeId: env.EDGE_ID,
    poolSize,
    linkUrls,
    clientAddress: clientAddress as ClientAddressSource,
  }
}
