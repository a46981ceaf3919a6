import { describe, expect, it } from 'vitest'
import {
  edgeRateLimitTiers,
  readRateLimit,
  readTokenEndpointRateLimit,
  TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT,
} from './rate-limit.js'
import { compileRoutes } from './routes.js'

const read = (quota: unknown) => readRateLimit({ limit: 5, period: 10, quota }, 'GET /q')

describe('x-portcullis-rate-limit quota keys', () => {
  it('RATE-313 a quota keys by subject (the default) or a tenant claim path; any other key stops the start naming the operation', () => {
    expect(read({ limit: 3, period: 60 }).quota).toEqual({ limit: 3, period: 60 })
    expect(read({ limit: 3, period: 60, key: 'subject' }).quota?.key).toEqual({ kind: 'subject' })
    expect(read({ limit: 3, period: 60, key: 'claim:org.id' }).quota?.key).toEqual({
      kind: 'claim',
      path: ['org', 'id'],
    })
    for (const key of [
      'address',
      'ip',
      'claim:',
      'claim:org..id',
      'claim:__proto__',
      'claim:org.constructor',
      'claim:org.prototype.x',
      'claim:1abc',
      'claim:a b',
      `claim:${Array(9).fill('a').join('.')}`,
      'Subject',
      '',
      ['subject'],
      { claim: 'org' },
      null,
    ]) {
      expect(() => read({ limit: 3, period: 60, key }), JSON.stringify(key)).toThrow(
        /GET \/q: x-portcullis-rate-limit: quota\.key/,
      )
    }
    // Through the route compiler, as the config loader and the edge read it.
    expect(() =>
      compileRoutes('h', {
        openapi: '3.1.0',
        paths: {
          '/q': {
            get: {
              operationId: 'q',
              'x-portcullis-rate-limit': {
                limit: 5,
                period: 10,
                quota: { limit: 1, period: 60, key: 'ip' },
              },
            },
          },
        },
      }),
    ).toThrow(/quota\.key/)
  })

  it('RATE-314 the token endpoint limit defaults to 30 per 60 s, takes only a binding-sized limit and period, and its binding is among the edge tiers', () => {
    expect(readTokenEndpointRateLimit(undefined)).toEqual(TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT)
    expect(TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT).toEqual({ limit: 30, period: 60 })
    expect(readTokenEndpointRateLimit({ limit: 3, period: 10 })).toEqual({ limit: 3, period: 10 })
    for (const bad of [
      null,
      {},
      { limit: 0, period: 60 },
      { limit: 3, period: 30 },
      { limit: 1.5, period: 60 },
      { limit: 100_001, period: 60 },
      { limit: 3, period: 60, key: 'subject' },
    ]) {
      expect(() => readTokenEndpointRateLimit(bad), JSON.stringify(bad)).toThrow(
        /tokenEndpointRateLimit/,
      )
    }
    const hosts = {
      h: compileRoutes('h', {
        openapi: '3.1.0',
        paths: {
          '/q': { get: { operationId: 'q', 'x-portcullis-rate-limit': { limit: 5, period: 10 } } },
        },
      }),
    }
    expect(edgeRateLimitTiers({ hosts }).map((t) => t.binding)).toEqual([
      'RATE_LIMIT_30_PER_60',
      'RATE_LIMIT_5_PER_10',
    ])
    expect(
      edgeRateLimitTiers({ hosts, tokenEndpointRateLimit: { limit: 5, period: 10 } }).map(
        (t) => t.binding,
      ),
    ).toEqual(['RATE_LIMIT_5_PER_10'])
  })
})
