/**
 * The rules the request validator applies too (core/policy/rules.cases.ts), through the
 * ingress inside workerd: a request as a client sends it, the real token services, a
 * recording link. A case passes when the request reaches the link once.
 */
import { describe, expect, it } from 'vitest'
import {
  compileRoutes,
  PROBLEM_CONTENT_TYPE,
  type EdgePolicy,
  type ErrorCode,
} from '../../core/index.js'
import {
  RULE_CASES,
  RULES_DOCUMENT,
  RULES_HOST,
  type RuleOutcome,
  type RuleRequest,
} from '../../core/policy/rules.cases.js'
import { bearerService, configuredPolicy, recordingLink, tokenServices } from '../testing/index.js'
import { createIngress } from './index.js'

const table = compileRoutes(RULES_HOST, RULES_DOCUMENT)

function policyFor(deployment: RuleRequest['deployment']): EdgePolicy {
  return { ...configuredPolicy(), deployment, hosts: { [RULES_HOST]: table } }
}

async function outcomeOf(r: RuleRequest): Promise<RuleOutcome> {
  const link = recordingLink()
  const app = createIngress({ policy: policyFor(r.deployment), link, tokens: tokenServices() })
  const headers = new Headers()
  if (r.contentType !== undefined) headers.set('content-type', r.contentType)
  if (r.claims !== undefined) {
    const { token } = await bearerService().mint({ sub: 'alice', claims: r.claims })
    headers.set('authorization', `Bearer ${token}`)
  }
  const port = r.port === 443 ? '' : `:${r.port}`
  const res = await app.fetch(
    new Request(`https://edge.test/${RULES_HOST}${port}${r.path}`, {
      method: r.method,
      headers,
      // Bytes, so the platform adds no content type of its own.
      ...(r.body === undefined ? {} : { body: new TextEncoder().encode(r.body) }),
    }),
  )
  if (link.sent.length === 1 && res.status === 200) return 'pass'
  expect(link.sent).toHaveLength(0)
  expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
  const { code } = (await res.json()) as { code: ErrorCode }
  const allow = res.headers.get('allow')
  return allow === null ? { code, status: res.status } : { code, status: res.status, allow }
}

describe('the shared rules, run by the edge', () => {
  it.each(RULE_CASES)('%s', async (_, request, outcome) => {
    expect(await outcomeOf(request)).toEqual(outcome)
  })
})
