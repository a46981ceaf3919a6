import { describe, expect, it } from 'vitest'
import { GatewayError, type RequestEnvelope } from '../../core/index.js'
import type { EdgeAuditEvent } from '../ingress/audit-trail.js'
import {
  AUDIT_BATCH_MAX,
  poolAudit,
  poolLink,
  shardName,
  shardOf,
  Shards,
  type PoolNamespace,
  type PoolObject,
} from './client.js'
import { LINK_DOWN_SKIP_MS, MAX_SHARD_ATTEMPTS, UNSENT_RETRY_PAUSE_MS } from './constants.js'
import type { LinkOutcome } from './outcome.js'

/** A request with a fresh id, as the ingress makes them (32 random hex digits). */
function request(): RequestEnvelope {
  return {
    requestId: crypto.randomUUID().replaceAll('-', ''),
    deadline: 1,
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: '',
    headers: [],
    body: new Uint8Array(0),
  }
}

interface Call {
  name: string
  requestId: string
}

function namespace(send: (name: string, request: RequestEnvelope) => Promise<LinkOutcome>) {
  const calls: Call[] = []
  const audits: Array<{ name: string; events: EdgeAuditEvent[] }> = []
  const ns: PoolNamespace = {
    idFromName: (name) => ({ name }) as unknown as DurableObjectId,
    get: (id): PoolObject => {
      const name = (id as unknown as { name: string }).name
      return {
        send: (req) => {
          calls.push({ name, requestId: req.requestId })
          return send(name, req)
        },
        audit: (events) => {
          audits.push({ name, events })
          return Promise.resolve()
        },
      }
    },
  }
  return { ns, calls, audits }
}

const answer = (req: RequestEnvelope): LinkOutcome => ({
  ok: true,
  response: { request: req, status: 200, headers: [], body: new Uint8Array(0) },
})
const ok = (_name: string, req: RequestEnvelope) => Promise.resolve(answer(req))
const down = (): LinkOutcome => ({
  ok: false,
  code: 'BUS_UNAVAILABLE',
  reason: 'link: disconnected, reconnecting',
  unsent: true,
})

function shards(ns: PoolNamespace, size: number, now?: () => number) {
  return new Shards(ns, { size, location: 'fra', ...(now ? { now } : {}) })
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'none'
  } catch (e) {
    return e instanceof GatewayError ? e.code : `not a GatewayError: ${String(e)}`
  }
}

describe('link pool client', () => {
  it('LINK-301 requests land on every shard of the location, each request id always on the same one', async () => {
    const { ns, calls } = namespace(ok)
    const link = poolLink(shards(ns, 4))
    const sent = Array.from({ length: 200 }, request)
    for (const r of sent) await link.send(r, 1000)
    const names = ['link-fra-0', 'link-fra-1', 'link-fra-2', 'link-fra-3']
    expect(new Set(calls.map((c) => c.name))).toEqual(new Set(names))
    // An even spread: 50 each on average; no shard gets fewer than 20 of 200.
    for (const name of names) {
      expect(calls.filter((c) => c.name === name).length).toBeGreaterThan(20)
    }
    for (const c of calls) expect(c.name).toBe(shardName('fra', shardOf(c.requestId, 4)))
    expect(shardOf('abcdefgh01', 7)).toBe(shardOf('abcdefgh01', 7))
  })

  it('LINK-302 an outcome with a code becomes that GatewayError', async () => {
    const { ns } = namespace(async () => ({
      ok: false,
      code: 'GATEWAY_TIMEOUT',
      reason: 'timeout',
    }))
    expect(await codeOf(poolLink(shards(ns, 1)).send(request(), 1000))).toBe('GATEWAY_TIMEOUT')
  })

  it('LINK-303 a failing RPC call (object reset, overloaded) is BUS_UNAVAILABLE', async () => {
    const { ns } = namespace(() =>
      Promise.reject(new Error('Durable Object reset because its code was updated')),
    )
    expect(await codeOf(poolLink(shards(ns, 2)).send(request(), 1000))).toBe('BUS_UNAVAILABLE')
  })

  it('LINK-304 an object that never answers cannot hold the request past its deadline', async () => {
    const { ns } = namespace(() => new Promise<LinkOutcome>(() => undefined))
    const started = Date.now()
    expect(await codeOf(poolLink(shards(ns, 1)).send(request(), 50))).toBe('GATEWAY_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('EDGE-301 a shard whose link is down is skipped: its requests go to the next shard and succeed', async () => {
    let clock = 1_000_000
    const { ns, calls } = namespace(async (name, req) =>
      name === 'link-fra-1' ? down() : answer(req),
    )
    const link = poolLink(
      shards(ns, 4, () => clock),
      () => clock,
    )
    const sent = Array.from({ length: 100 }, request)
    for (const r of sent) expect((await link.send(r, 1000)).status).toBe(200)
    // The down shard was asked once; then skipped, its requests carried by link-fra-2.
    expect(calls.filter((c) => c.name === 'link-fra-1')).toHaveLength(1)
    const homeless = sent.filter((r) => shardOf(r.requestId, 4) === 1)
    expect(homeless.length).toBeGreaterThan(5)
    for (const r of homeless) {
      expect(calls.filter((c) => c.requestId === r.requestId).at(-1)?.name).toBe('link-fra-2')
    }
    // After the skip window the shard is tried again, and used once its link is back.
    clock += LINK_DOWN_SKIP_MS + 1
    const again = sent.find((r) => shardOf(r.requestId, 4) === 1)!
    await link.send({ ...again }, 1000)
    expect(calls.filter((c) => c.name === 'link-fra-1')).toHaveLength(2)
  })

  it('EDGE-302 a request another shard may not repeat (sent, then no answer, or a closed connection) is never sent twice', async () => {
    for (const outcome of [
      { ok: false, code: 'GATEWAY_TIMEOUT', reason: 'link: no answer in time' },
      { ok: false, code: 'BUS_UNAVAILABLE', reason: 'link: connection closed' },
    ] as LinkOutcome[]) {
      const { ns, calls } = namespace(async () => outcome)
      const link = poolLink(shards(ns, 4))
      const code = await codeOf(link.send(request(), 1000))
      expect(code).toBe(outcome.ok ? 'none' : outcome.code)
      expect(calls).toHaveLength(1)
    }
  })

  it('EDGE-303 with every link down a request fails 503 BUS_UNAVAILABLE after a bounded number of shards', async () => {
    // A deadline too short to pause in: the shards in a row, then the answer.
    const short = 2 * UNSENT_RETRY_PAUSE_MS - 100
    const { ns, calls } = namespace(async () => down())
    const link = poolLink(shards(ns, 8))
    expect(await codeOf(link.send(request(), short))).toBe('BUS_UNAVAILABLE')
    expect(calls).toHaveLength(MAX_SHARD_ATTEMPTS)
    // The shards it tried are skipped now; every request still gets an answer at once.
    const before = calls.length
    for (let i = 0; i < 10; i++)
      expect(await codeOf(link.send(request(), short))).toBe('BUS_UNAVAILABLE')
    expect(calls.length - before).toBeLessThanOrEqual(10 * MAX_SHARD_ATTEMPTS)
  })

  it('EDGE-307 every link down for a moment (a link node restarting): the request waits for it in the first half of its deadline and is answered', async () => {
    const backAt = Date.now() + 2 * UNSENT_RETRY_PAUSE_MS
    const { ns, calls } = namespace(async (_name, req) =>
      Date.now() < backAt ? down() : answer(req),
    )
    const link = poolLink(shards(ns, 4))
    expect((await link.send(request(), 4 * UNSENT_RETRY_PAUSE_MS + 1_000)).status).toBe(200)
    expect(calls.length).toBeGreaterThan(MAX_SHARD_ATTEMPTS)
    expect(calls.length).toBeLessThanOrEqual(MAX_SHARD_ATTEMPTS + 6)
  })

  it('EDGE-308 a link that stays down costs a request at most the first half of its deadline, in a bounded number of tries', async () => {
    const { ns, calls } = namespace(async () => down())
    const link = poolLink(shards(ns, 4))
    const timeout = 8 * UNSENT_RETRY_PAUSE_MS
    const started = Date.now()
    expect(await codeOf(link.send(request(), timeout))).toBe('BUS_UNAVAILABLE')
    const took = Date.now() - started
    expect(took).toBeLessThanOrEqual(timeout / 2 + 100)
    expect(calls.length).toBeLessThanOrEqual(
      MAX_SHARD_ATTEMPTS + timeout / 2 / UNSENT_RETRY_PAUSE_MS,
    )
  })

  it('EDGE-304 audit events share RPCs: a burst goes out in full batches, each event exactly once', async () => {
    const { ns, audits } = namespace(ok)
    const record = poolAudit(shards(ns, 4))
    const events = Array.from({ length: AUDIT_BATCH_MAX * 2 + 5 }, (_, i): EdgeAuditEvent => ({
      time: new Date(0).toISOString(),
      requestId: `request${String(i).padStart(4, '0')}`,
      stage: 'edge',
      verdict: 'accept',
    }))
    await Promise.all(events.map((e) => record(e)))
    expect(audits).toHaveLength(3)
    const delivered = audits.flatMap((a) => a.events.map((e) => e.requestId))
    expect(delivered.sort()).toEqual(events.map((e) => e.requestId).sort())
    // A lone event still leaves, within the batch window.
    await record({ ...events[0]!, requestId: 'lonely0001' })
    expect(audits.at(-1)?.events.map((e) => e.requestId)).toEqual(['lonely0001'])
  })
})
