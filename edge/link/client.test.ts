import { describe, expect, it } from 'vitest'
import { GatewayError, type RequestEnvelope } from '../../core/index.js'
import { poolLink, type PoolNamespace, type PoolObject } from './client.js'
import type { LinkOutcome } from './outcome.js'

const request: RequestEnvelope = {
  requestId: 'abcdefgh01',
  deadline: 1,
  method: 'GET',
  host: 'demo',
  port: 443,
  path: '/orders',
  query: '',
  headers: [],
  body: new Uint8Array(0),
}

function namespace(send: (name: string) => Promise<LinkOutcome>) {
  const names: string[] = []
  const ns: PoolNamespace = {
    idFromName: (name) => ({ name }) as unknown as DurableObjectId,
    get: (id): PoolObject => {
      const name = (id as unknown as { name: string }).name
      return {
        send: () => {
          names.push(name)
          return send(name)
        },
        audit: () => Promise.resolve(),
      }
    },
  }
  return { ns, names }
}

const ok = (): Promise<LinkOutcome> =>
  Promise.resolve({
    ok: true,
    response: { request, status: 200, headers: [], body: new Uint8Array(0) },
  })

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'none'
  } catch (e) {
    return e instanceof GatewayError ? e.code : `not a GatewayError: ${String(e)}`
  }
}

describe('link pool client', () => {
  it('LINK-301 spreads requests over every pool object, link-0 to link-<n-1>', async () => {
    const { ns, names } = namespace(ok)
    const link = poolLink(ns, 4)
    for (let i = 0; i < 8; i++) await link.send(request, 1000)
    expect(new Set(names)).toEqual(new Set(['link-0', 'link-1', 'link-2', 'link-3']))
    expect(names.filter((n) => n === 'link-2')).toHaveLength(2)
  })

  it('LINK-302 an outcome with a code becomes that GatewayError', async () => {
    const { ns } = namespace(async () => ({
      ok: false,
      code: 'GATEWAY_TIMEOUT',
      reason: 'timeout',
    }))
    expect(await codeOf(poolLink(ns, 1).send(request, 1000))).toBe('GATEWAY_TIMEOUT')
  })

  it('LINK-303 a failing RPC call (object reset, overloaded) is BUS_UNAVAILABLE', async () => {
    const { ns } = namespace(() =>
      Promise.reject(new Error('Durable Object reset because its code was updated')),
    )
    expect(await codeOf(poolLink(ns, 2).send(request, 1000))).toBe('BUS_UNAVAILABLE')
  })

  it('LINK-304 an object that never answers cannot hold the request past its deadline', async () => {
    const { ns } = namespace(() => new Promise<LinkOutcome>(() => undefined))
    const started = Date.now()
    expect(await codeOf(poolLink(ns, 1).send(request, 50))).toBe('GATEWAY_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(3000)
  })
})
