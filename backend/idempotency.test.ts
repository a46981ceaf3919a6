import { describe, expect, it } from 'vitest'
import { GatewayError, newRequestId, RetryLaterError, type RequestEnvelope } from '../core/index.js'
import {
  createIdempotencyGuard,
  guardedCall,
  idempotencyScopeOf,
  LEASE_MARGIN_MS,
  REPLAYED_HEADER,
  type IdempotencyRecord,
  type IdempotencyStore,
  type StoredRecord,
} from './idempotency.js'
import { toUpstreamRequest, type UpstreamRequest } from './request.js'
import type { UpstreamResult } from './upstream.js'

const NOW = 1_800_000_000_000
const upstream = { baseUrl: 'http://127.0.0.1:1', timeoutMs: 5_000 }

/** An unsigned token with a subject: the backend reads `sub` of a token the validator verified. */
function tokenOf(sub: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'EdDSA' })}.${part({ sub })}.sig`
}

function envelope(
  over: Omit<Partial<RequestEnvelope>, 'body'> & { key?: string; body?: string } = {},
) {
  const { key = '"k1"', body = '{"item":"tea","quantity":2}', ...rest } = over
  const env: RequestEnvelope = {
    requestId: newRequestId(),
    deadline: NOW + 10_000,
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: '',
    headers: [
      ['content-type', 'application/json'],
      ['idempotency-key', key],
    ],
    actor: tokenOf('alice'),
    body: new TextEncoder().encode(body),
    ...rest,
  }
  return env
}

/** The store's contract in memory: a revision per slot, a write only over the named one. */
function memoryStore() {
  const slots = new Map<string, StoredRecord>()
  let seq = 0
  let down = false
  const store: IdempotencyStore = {
    async read(host, digest) {
      if (down) throw new Error('no responders')
      return slots.get(`${host}.${digest}`)
    },
    async write(host, digest, record: IdempotencyRecord, revision) {
      if (down) throw new Error('no responders')
      const at = slots.get(`${host}.${digest}`)
      if ((at?.revision ?? 0) !== revision) return false
      slots.set(`${host}.${digest}`, { record, revision: ++seq })
      return seq
    },
  }
  return {
    store,
    slots,
    setDown: (d: boolean) => (down = d),
  }
}

function counter(answer: (req: UpstreamRequest) => Promise<UpstreamResult> | UpstreamResult) {
  const calls: UpstreamRequest[] = []
  return {
    calls,
    call: async (req: UpstreamRequest) => {
      calls.push(req)
      return answer(req)
    },
  }
}

/** An upstream whose answer waits until `release()`: an attempt held in progress. */
function heldUpstream() {
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  const up = counter(async () => {
    await held
    return created()
  })
  return { up, release }
}

const created = (): UpstreamResult => ({
  status: 201,
  headers: [['content-type', 'application/json']],
  body: new TextEncoder().encode('{"id":"3"}'),
})

async function run(
  guard: ReturnType<typeof createIdempotencyGuard>,
  env: RequestEnvelope,
  call: (req: UpstreamRequest) => Promise<UpstreamResult>,
  now = NOW,
) {
  return guard.call(env, toUpstreamRequest(env, upstream, now), now, call)
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (e instanceof GatewayError) return e.code
    throw e
  }
  return 'no error'
}

describe('idempotency scope', () => {
  it('is per host, caller and key; the fingerprint is per method, path, query and body', () => {
    const a = idempotencyScopeOf(envelope())!
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/)
    expect(idempotencyScopeOf(envelope())!.digest).toBe(a.digest)
    expect(idempotencyScopeOf(envelope({ actor: tokenOf('bob') }))!.digest).not.toBe(a.digest)
    expect(idempotencyScopeOf(envelope({ key: '"k2"' }))!.digest).not.toBe(a.digest)
    expect(idempotencyScopeOf(envelope({ host: 'other' }))!.digest).not.toBe(a.digest)
    expect(idempotencyScopeOf(envelope({ body: '{}' }))!.fingerprint).not.toBe(a.fingerprint)
    expect(idempotencyScopeOf(envelope({ query: 'x=1' }))!.fingerprint).not.toBe(a.fingerprint)
    expect(idempotencyScopeOf(envelope({ method: 'PATCH' }))!.fingerprint).not.toBe(a.fingerprint)
  })

  it('has no record for a safe method or a request without a key', () => {
    expect(idempotencyScopeOf(envelope({ method: 'GET' }))).toBeUndefined()
    expect(idempotencyScopeOf({ ...envelope(), headers: [] })).toBeUndefined()
  })

  it('IDEM-030 refuses again, on-prem, a key without a verified caller, a key that is not one, two keys', () => {
    const { actor: _a, ...anonymous } = envelope()
    const cases: RequestEnvelope[] = [
      anonymous,
      envelope({ actor: 'not-a-token' }),
      envelope({ key: 'bare' }),
      envelope({ key: `"${'k'.repeat(256)}"` }),
      {
        ...envelope(),
        headers: [
          ['idempotency-key', '"a"'],
          ['idempotency-key', '"b"'],
        ],
      },
    ]
    for (const env of cases) {
      expect(() => idempotencyScopeOf(env)).toThrow(
        expect.objectContaining({ code: 'IDEMPOTENCY_KEY_INVALID' }),
      )
    }
  })
})

describe('idempotency guard', () => {
  it('IDEM-031 a retry with the same key and request gets the first answer, marked replayed, and the upstream is called once', async () => {
    const { store } = memoryStore()
    const guard = createIdempotencyGuard({ store })
    const up = counter(created)
    const first = await run(guard, envelope(), up.call)
    expect(first.replayed).toBeUndefined()
    const again = await run(guard, envelope(), up.call, NOW + 60_000)
    expect(again).toMatchObject({ status: 201, replayed: true })
    expect(new TextDecoder().decode(again.body)).toBe('{"id":"3"}')
    expect(again.headers).toContainEqual([REPLAYED_HEADER, 'true'])
    expect(up.calls).toHaveLength(1)
    // The upstream gets the scoped key, never the client's text or the request id.
    const sentKey = up.calls[0]!.headers['idempotency-key']
    expect(sentKey).toBe(`"${idempotencyScopeOf(envelope())!.digest}"`)
  })

  it("IDEM-032 the same key with another request is 422 IDEMPOTENCY_KEY_REUSED; another caller's same key is its own", async () => {
    const { store } = memoryStore()
    const guard = createIdempotencyGuard({ store })
    const up = counter(created)
    await run(guard, envelope(), up.call)
    expect(
      await codeOf(run(guard, envelope({ body: '{"item":"tea","quantity":3}' }), up.call)),
    ).toBe('IDEMPOTENCY_KEY_REUSED')
    expect(up.calls).toHaveLength(1)
    const bob = await run(guard, envelope({ actor: tokenOf('bob') }), up.call)
    expect(bob.replayed).toBeUndefined()
    expect(up.calls).toHaveLength(2)
  })

  it('IDEM-033 a retry while the first is in progress is 409 until its lease ends, then 502 WRITE_OUTCOME_UNKNOWN, never a second call', async () => {
    const { store } = memoryStore()
    const guard = createIdempotencyGuard({ store })
    const { up, release } = heldUpstream()
    const first = run(guard, envelope(), up.call)
    await new Promise((r) => setTimeout(r, 10))
    expect(await codeOf(run(guard, envelope(), up.call, NOW + 1_000))).toBe(
      'IDEMPOTENCY_KEY_IN_FLIGHT',
    )
    const afterLease = NOW + upstream.timeoutMs + LEASE_MARGIN_MS + 1
    expect(await codeOf(run(guard, envelope(), up.call, afterLease))).toBe('WRITE_OUTCOME_UNKNOWN')
    release()
    await first
    expect(up.calls).toHaveLength(1)
  })

  it('IDEM-034 a redelivery of the attempt that holds the key (its process died) never calls the upstream again: handed back while its lease runs, then 502 WRITE_OUTCOME_UNKNOWN', async () => {
    const { store } = memoryStore()
    const env = envelope()
    // The dead attempt's claim, as it left it.
    const dead = createIdempotencyGuard({ store })
    const never = counter(() => new Promise<UpstreamResult>(() => {}))
    void run(dead, env, never.call)
    await new Promise((r) => setTimeout(r, 10))
    const up = counter(created)
    const again = createIdempotencyGuard({ store })
    // Its done record may still be on its way (a bus electing a leader): look again later.
    const early = await run(again, env, up.call, NOW + 500).catch((e: unknown) => e)
    expect(early).toBeInstanceOf(RetryLaterError)
    expect((early as RetryLaterError).final.code).toBe('WRITE_OUTCOME_UNKNOWN')
    const afterLease = NOW + upstream.timeoutMs + LEASE_MARGIN_MS + 1
    expect(await codeOf(run(again, env, up.call, afterLease))).toBe('WRITE_OUTCOME_UNKNOWN')
    expect(up.calls).toHaveLength(0)
  })

  it('IDEM-037 a redelivery finds its own pending record, then the done record written late: it replays it, no second call', async () => {
    const { store } = memoryStore()
    const env = envelope()
    const { up: first, release } = heldUpstream()
    const guard = createIdempotencyGuard({ store })
    const attempt = run(guard, env, first.call)
    await new Promise((r) => setTimeout(r, 10))
    const up = counter(created)
    expect(await run(guard, env, up.call, NOW + 100).catch((e: unknown) => e)).toBeInstanceOf(
      RetryLaterError,
    )
    release()
    await attempt
    const replayed = await run(guard, env, up.call, NOW + 2_000)
    expect(replayed.replayed).toBe(true)
    expect(up.calls).toHaveLength(0)
    expect(first.calls).toHaveLength(1)
  })

  it('IDEM-038 an upstream that honours Idempotency-Key is asked again, with the same key, when an attempt died holding it or its outcome was lost; one that does not never is', async () => {
    const { store } = memoryStore()
    const honoured = createIdempotencyGuard({ store, upstreamHonoursKeys: true })
    const never = counter(() => new Promise<UpstreamResult>(() => {}))
    const env = envelope()
    void run(honoured, env, never.call)
    await new Promise((r) => setTimeout(r, 10))
    // The same attempt redelivered, at once: the upstream replays its own answer for the key.
    const up = counter(created)
    expect((await run(honoured, env, up.call, NOW + 500)).status).toBe(201)
    expect(up.calls.map((c) => c.headers['idempotency-key'])).toEqual([
      never.calls[0]!.headers['idempotency-key'],
    ])
    // A timeout (the upstream may have applied it): a retry asks again, with the same key.
    const timedOut = counter(() => {
      throw new GatewayError('UPSTREAM_TIMEOUT')
    })
    const k2 = envelope({ key: '"k2"' })
    expect(await codeOf(run(honoured, k2, timedOut.call))).toBe('UPSTREAM_TIMEOUT')
    expect((await run(honoured, envelope({ key: '"k2"' }), up.call)).status).toBe(201)
    // Another attempt still inside its lease is in flight, whatever the upstream does.
    void run(honoured, envelope({ key: '"k3"' }), never.call)
    await new Promise((r) => setTimeout(r, 10))
    expect(await codeOf(run(honoured, envelope({ key: '"k3"' }), up.call, NOW + 1_000))).toBe(
      'IDEMPOTENCY_KEY_IN_FLIGHT',
    )
    expect(up.calls).toHaveLength(2)
  })

  it('IDEM-035 the store unreachable is 503 IDEMPOTENCY_STORE_UNAVAILABLE and the upstream is not called; no store at all likewise', async () => {
    const { store, setDown } = memoryStore()
    setDown(true)
    const up = counter(created)
    expect(await codeOf(run(createIdempotencyGuard({ store }), envelope(), up.call))).toBe(
      'IDEMPOTENCY_STORE_UNAVAILABLE',
    )
    const env = envelope()
    expect(
      await codeOf(
        guardedCall(undefined, env, toUpstreamRequest(env, upstream, NOW), NOW, up.call),
      ),
    ).toBe('IDEMPOTENCY_STORE_UNAVAILABLE')
    expect(up.calls).toHaveLength(0)
    // Without a key, no store is needed.
    const plain = { ...envelope(), headers: [] as RequestEnvelope['headers'] }
    await guardedCall(undefined, plain, toUpstreamRequest(plain, upstream, NOW), NOW, up.call)
    expect(up.calls).toHaveLength(1)
  })

  it('a refused connection releases the key (the upstream never had the request); a timeout keeps it: retries get 502', async () => {
    const { store } = memoryStore()
    const guard = createIdempotencyGuard({ store })
    const refused = counter(() => {
      throw new GatewayError('UPSTREAM_UNAVAILABLE', { reason: 'ECONNREFUSED' })
    })
    expect(await codeOf(run(guard, envelope(), refused.call))).toBe('UPSTREAM_UNAVAILABLE')
    const up = counter(created)
    expect((await run(guard, envelope(), up.call)).status).toBe(201)
    expect(up.calls).toHaveLength(1)

    const timedOut = counter(() => {
      throw new GatewayError('UPSTREAM_TIMEOUT')
    })
    expect(await codeOf(run(guard, envelope({ key: '"k9"' }), timedOut.call))).toBe(
      'UPSTREAM_TIMEOUT',
    )
    expect(await codeOf(run(guard, envelope({ key: '"k9"' }), up.call))).toBe(
      'WRITE_OUTCOME_UNKNOWN',
    )
    expect(up.calls).toHaveLength(1)
  })

  it('IDEM-036 the store away when the answer is recorded: the answer still goes out, the record is completed once the store is back, and a retry then replays it without a call', async () => {
    const { store, setDown } = memoryStore()
    let failNextWrite = false
    const flaky: IdempotencyStore = {
      read: (h, d) => store.read(h, d),
      write: async (h, d, r, rev) => {
        if (failNextWrite && r.state === 'done') {
          failNextWrite = false
          setDown(true)
          setTimeout(() => setDown(false), 300)
          throw new Error('timeout')
        }
        return store.write(h, d, r, rev)
      },
    }
    const guard = createIdempotencyGuard({ store: flaky })
    const upstreamCalls = counter(created)
    const env = envelope()
    failNextWrite = true
    expect((await run(guard, env, upstreamCalls.call)).status).toBe(201)
    // Before the record is complete a retry is told the first is in flight, never a second call.
    expect(
      await codeOf(run(guard, { ...env, requestId: newRequestId() }, upstreamCalls.call)),
    ).toBe('IDEMPOTENCY_STORE_UNAVAILABLE')
    await new Promise((r) => setTimeout(r, 1_200))
    const again = await run(guard, { ...env, requestId: newRequestId() }, upstreamCalls.call)
    expect(again.replayed).toBe(true)
    expect(again.status).toBe(201)
    expect(upstreamCalls.calls).toHaveLength(1)
  })

  it('two attempts racing for a new key: one claims it, the other is told it is in flight', async () => {
    const { store } = memoryStore()
    const guard = createIdempotencyGuard({ store })
    const { up, release } = heldUpstream()
    const both = [run(guard, envelope(), up.call), run(guard, envelope(), up.call)]
    const second = await codeOf(both[1]!)
    release()
    expect(second).toBe('IDEMPOTENCY_KEY_IN_FLIGHT')
    expect((await both[0]!).status).toBe(201)
    expect(up.calls).toHaveLength(1)
  })
})
