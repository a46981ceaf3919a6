import { describe, expect, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { createExecutionContext } from 'cloudflare:test'
import { PROBLEM_CONTENT_TYPE, SetupError } from '../core/index.js'
import { readSettings } from './settings.js'
import { createFetchHandler } from './worker.js'

describe('worker settings', () => {
  it('ENV-101 the configured bindings are accepted', () => {
    const settings = readSettings(env)
    expect(settings.edgeId).toBe('local')
    expect(settings.poolSize).toBe(4)
    expect(Object.keys(settings.policy.hosts)).toContain('demo')
  })

  it('ENV-102 a missing or malformed binding is refused by name; a secret is never echoed', () => {
    const cases: Array<[Partial<Env>, RegExp]> = [
      [{ POLICY: undefined }, /POLICY/],
      [{ POLICY: { version: 2 } }, /POLICY.*version/],
      [{ POLICY: '{not json' }, /POLICY/],
      [{ EDGE_ID: 'Local.Edge' }, /EDGE_ID/],
      [{ LINK_POOL_SIZE: '0' }, /LINK_POOL_SIZE/],
      [{ LINK_POOL_SIZE: 'four' }, /LINK_POOL_SIZE/],
      [{ LINK_URL: 'http://127.0.0.1:1' }, /LINK_URL/],
      [{ LINK_URL: 'ws://127.0.0.1:1/path?x' }, /LINK_URL/],
      [{ LINK_URL: 'ws://127.0.0.1:1,' }, /LINK_URL/],
      [{ LINK_URL: 'ws://127.0.0.1:1,http://127.0.0.1:2' }, /LINK_URL/],
      [{ LINK_CREDS: 'not-creds-SUPERSECRET' }, /LINK_CREDS/],
      [{ LINK_CREDS: 'SUAASUPERSECRETSEEDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, /LINK_CREDS/],
      [{ LINK_CREDS: undefined }, /LINK_CREDS/],
      [{ RATE_LIMIT_5_PER_10: undefined }, /RATE_LIMIT_5_PER_10/],
      [{ RATE_QUOTA: undefined }, /RATE_QUOTA/],
      [{ OTLP_TRACES_URL: 'ftp://collector/v1/traces' }, /OTLP_TRACES_URL/],
      [{ OTLP_TRACES_URL: 'http://collector /v1/traces' }, /OTLP_TRACES_URL/],
    ]
    for (const [patch, message] of cases) {
      let error: unknown
      try {
        readSettings({ ...env, ...patch } as Env)
      } catch (e) {
        error = e
      }
      expect(String(error)).toMatch(message)
      expect(String(error)).not.toContain('SUPERSECRET')
      // A setup failure with a code, naming the binding as its key (the policy keeps its
      // reader's code: CONFIG_INVALID or POLICY_INVALID).
      expect(error).toBeInstanceOf(SetupError)
      expect((error as SetupError).key).toBe(Object.keys(patch)[0])
      expect((error as SetupError).code).toMatch(/^(ENV_INVALID|CONFIG_INVALID|POLICY_INVALID)$/)
    }
  })

  it('ENV-104 a policy bundled into the worker (a deployment) is read without the var; both at once is refused', () => {
    const { POLICY: policy, ...rest } = env
    expect(Object.keys(readSettings(rest as Env, policy).policy.hosts)).toContain('demo')
    expect(() => readSettings(env, policy)).toThrow(/POLICY.*bundled/)
    expect(() => readSettings(rest as Env, { version: 2 })).toThrow(/POLICY.*version/)
  })

  it('EDGE-305 LINK_URL lists every link node; one URL still works', () => {
    const three = 'ws://127.0.0.1:7421, ws://127.0.0.1:7431,wss://link-3.example:443'
    expect(readSettings({ ...env, LINK_URL: three } as Env).linkUrls).toEqual([
      'ws://127.0.0.1:7421',
      'ws://127.0.0.1:7431',
      'wss://link-3.example:443',
    ])
    expect(readSettings({ ...env, LINK_URL: 'ws://127.0.0.1:9' } as Env).linkUrls).toEqual([
      'ws://127.0.0.1:9',
    ])
    const tooMany = Array.from({ length: 17 }, (_, i) => `ws://127.0.0.1:${7000 + i}`).join(',')
    expect(() => readSettings({ ...env, LINK_URL: tooMany } as Env)).toThrow(/LINK_URL/)
  })

  it('ENV-103 a worker with a bad policy answers every request 500 INTERNAL_ERROR problem', async () => {
    const fetch = createFetchHandler()
    const bad = { ...env, POLICY: { version: 1, deployment: 'DEV' } } as Env
    for (const path of ['/demo/orders', '/demo:666/x']) {
      const res = await fetch(
        new Request(`https://edge.test${path}`),
        bad,
        createExecutionContext(),
      )
      expect(res.status).toBe(500)
      expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
      const body = (await res.json()) as Record<string, unknown>
      expect(body.code).toBe('INTERNAL_ERROR')
      expect(body.requestId).toBe(res.headers.get('x-request-id'))
      expect(JSON.stringify(body)).not.toMatch(/deployment|POLICY/)
    }
  })
})
