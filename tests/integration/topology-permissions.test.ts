/**
 * Forbidden moves, refused by the brokers themselves. Each case names a move a component
 * must not be able to make; the sweeps walk the topology so a new identity, bus or
 * stream is covered without a new line here. Expectations come from the design's table
 * (who reads and writes which bus), not from the grants under test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Empty, errors, type NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { subjects, type BusName } from '../../core/index.js'
import {
  ADMIN,
  consumerRights,
  inboxPrefixOf,
  serverUrl,
  type BusSpec,
} from '../../topology/index.js'
import {
  authenticatorOf,
  connectLinkWebsocket,
  startBuses,
  type BusHarness,
} from '../harness/buses.js'

let h: BusHarness
const dialed: NatsConnection[] = []

beforeAll(async () => {
  // A second upstream, so one backend can try the other's consumer and subjects.
  h = await startBuses({
    upstreams: { other: { baseUrl: 'http://127.0.0.1:9', openapi: 'demo/openapi.json' } },
  })
}, 30_000)

afterAll(async () => {
  await Promise.allSettled(dialed.map((nc) => nc.close()))
  await h?.stop()
}, 30_000)

type Transport = 'tcp' | 'websocket'

function isPermissionViolation(e: unknown): boolean {
  const err = e as Error & { cause?: unknown }
  return (
    err instanceof errors.PermissionViolationError ||
    err?.cause instanceof errors.PermissionViolationError
  )
}

/** Dials once; true when the broker refuses the client's authentication. */
async function dialRefused(dial: () => Promise<NatsConnection>): Promise<boolean> {
  try {
    dialed.push(await dial())
    return false
  } catch (e) {
    if (e instanceof errors.AuthorizationError) return true
    throw e
  }
}

const ONCE = { maxReconnectAttempts: 0, reconnect: false }

/** One connection attempt as `identity`, no retry. */
function connectRefused(identity: string, bus: BusName, transport: Transport): Promise<boolean> {
  return dialRefused(() =>
    transport === 'websocket'
      ? connectLinkWebsocket(h, identity)
      : connect({
          servers: serverUrl(h.topology, bus),
          authenticator: authenticatorOf(h, identity, bus),
          inboxPrefix: inboxPrefixOf(identity),
          ...ONCE,
        }),
  )
}

/**
 * Publishes as a request: a refused publish fails the request with the broker's permission
 * violation at once. Any other outcome (an answer, no responders, a timeout) means the
 * broker let the message through.
 */
async function publishRefused(nc: NatsConnection, subject: string): Promise<boolean> {
  try {
    await nc.request(subject, Empty, { timeout: 1_000 })
    return false
  } catch (e) {
    return isPermissionViolation(e)
  }
}

/** A refused subscription is closed by the broker's -ERR, which arrives before the PONG. */
async function subscribeRefused(nc: NatsConnection, subject: string): Promise<boolean> {
  const sub = nc.subscribe(subject)
  await nc.flush()
  const outcome = await Promise.race([
    sub.closed,
    new Promise<'open'>((r) => setTimeout(() => r('open'), 200)),
  ])
  if (outcome === 'open') {
    sub.unsubscribe()
    return false
  }
  return isPermissionViolation(outcome)
}

/** Runs probes side by side; returns those the broker did not refuse, so a failure names them all. */
async function notRefused(
  probes: Array<[label: string, refused: () => Promise<boolean>]>,
): Promise<string[]> {
  const results = await Promise.all(
    probes.map(async ([label, refused]) => ((await refused()) ? [] : [label])),
  )
  return results.flat()
}

const shared = new Map<string, Promise<NatsConnection>>()

/** One connection per identity and bus for the whole file. */
function conn(identity: string, bus: BusName): Promise<NatsConnection> {
  const key = `${identity}@${bus}`
  if (!shared.has(key)) shared.set(key, h.connect(identity, bus))
  return shared.get(key)!
}

/** Every (identity, bus) pair the topology gives a user, excluding WebSocket-only ones. */
function tcpUsers(filter: (s: BusSpec) => boolean = () => true): Array<[string, BusSpec]> {
  return h.topology.buses
    .filter(filter)
    .flatMap((s) =>
      s.grants.filter((g) => !g.websocketOnly).map((g): [string, BusSpec] => [g.identity, s]),
    )
}

describe('connections', () => {
  it('BUS-001 relay has no user on creq: its connection is refused', async () => {
    expect(await connectRefused('relay', 'creq', 'tcp')).toBe(true)
  })

  it("BUS-002 backend-demo has no user on dreq, so it cannot reach the request-validator's consumer", async () => {
    expect(await connectRefused('backend-demo', 'dreq', 'tcp')).toBe(true)
  })

  it('BUS-003 no identity can connect to a server where the topology gives it no user', async () => {
    const probes = h.topology.identities.flatMap((identity) =>
      h.topology.buses
        .filter((s) => !s.grants.some((g) => g.identity === identity.id))
        .map((s): [string, () => Promise<boolean>] => [
          `${identity.id}@${s.name}`,
          () => connectRefused(identity.id, s.name, 'tcp'),
        ]),
    )
    expect(probes.length).toBeGreaterThan(10)
    expect(await notRefused(probes)).toEqual([])
  }, 15_000)

  it('BUS-004 the edge identity cannot connect over plain TCP (WebSocket only)', async () => {
    expect(await connectRefused('edge-local', 'link', 'tcp')).toBe(true)
    expect(await connectRefused('edge-local', 'link', 'websocket')).toBe(false)
  })

  it("BUS-005 no identity but the edge can use the link's WebSocket listener", async () => {
    const others = h.topology.identities.filter((i) => i.kind !== 'edge')
    const probes = others.map((i): [string, () => Promise<boolean>] => [
      i.id,
      () => connectRefused(i.id, 'link', 'websocket'),
    ])
    expect(await notRefused(probes)).toEqual([])
  }, 15_000)
})

describe('anonymous clients', () => {
  it('BUS-018 a client without a key is refused by every server and the link WebSocket', async () => {
    const probes = h.topology.buses.map((s): [string, () => Promise<boolean>] => [
      s.name,
      () => dialRefused(() => connect({ servers: serverUrl(h.topology, s.name), ...ONCE })),
    ])
    probes.push(['link websocket', () => dialRefused(() => connectLinkWebsocket(h, undefined))])
    expect(await notRefused(probes)).toEqual([])
  })
})

describe('writing', () => {
  it('BUS-006 request-validator cannot publish as the response validator on cresp', async () => {
    const nc = await conn('request-validator', 'cresp')
    const subject = subjects.cleanResponse('response-validator', 'demo')
    expect(await publishRefused(nc, subject)).toBe(true)
    const jsm = await jetstreamManager(await conn(ADMIN, 'cresp'))
    const info = await jsm.streams.info('CRESP', { subjects_filter: subject })
    expect(info.state.subjects?.[subject] ?? 0).toBe(0)
  })

  it('BUS-007 response-validator cannot publish as the request validator on cresp', async () => {
    const nc = await conn('response-validator', 'cresp')
    expect(await publishRefused(nc, subjects.cleanResponse('request-validator', 'demo'))).toBe(true)
  })

  it('BUS-008 a backend cannot publish the responses of another host on dresp', async () => {
    const nc = await conn('backend-other', 'dresp')
    expect(await publishRefused(nc, subjects.dirtyResponse('demo'))).toBe(true)
    expect(await publishRefused(nc, subjects.dirtyResponse('other'))).toBe(false)
  })

  it('BUS-009 each bus is written only by the stages the design names', async () => {
    const writers: Array<{ bus: BusName; subject: string; writers: string[] }> = [
      { bus: 'dreq', subject: subjects.dirtyRequest('local', 'demo'), writers: ['relay'] },
      { bus: 'creq', subject: subjects.cleanRequest('demo'), writers: ['request-validator'] },
      { bus: 'dresp', subject: subjects.dirtyResponse('demo'), writers: ['backend-demo'] },
      {
        bus: 'cresp',
        subject: subjects.cleanResponse('request-validator', 'demo'),
        writers: ['request-validator'],
      },
      {
        bus: 'cresp',
        subject: subjects.cleanResponse('response-validator', 'demo'),
        writers: ['response-validator'],
      },
    ]
    const refused: string[] = []
    const expected: string[] = []
    for (const w of writers) {
      const spec = h.topology.buses.find((s) => s.name === w.bus)!
      for (const g of spec.grants) {
        const label = `${g.identity}@${w.bus} ${w.subject}`
        if (!w.writers.includes(g.identity)) expected.push(label)
        if (await publishRefused(await conn(g.identity, w.bus), w.subject)) refused.push(label)
      }
    }
    expect(refused.sort()).toEqual(expected.sort())
  }, 15_000)

  it('BUS-010 the edge cannot publish another edge request subject nor answer into any inbox', async () => {
    const edge = await connectLinkWebsocket(h, 'edge-local')
    dialed.push(edge)
    const missed = await notRefused(
      [
        subjects.linkRequest('other'),
        `${subjects.linkInbox('local')}.x`,
        `${subjects.linkInbox('other')}.x`,
        subjects.dirtyRequest('local', 'demo'),
      ].map((s): [string, () => Promise<boolean>] => [s, () => publishRefused(edge, s)]),
    )
    expect(missed).toEqual([])
  })

  it('BUS-011 admin has no data-plane rights', async () => {
    const probes = h.topology.streams.flatMap((stream) =>
      stream.subjects.map((pattern): [string, () => Promise<boolean>] => {
        const subject = pattern.replace('>', 'x.y')
        return [
          `${stream.bus} ${subject}`,
          async () => publishRefused(await conn(ADMIN, stream.bus), subject),
        ]
      }),
    )
    expect(await notRefused(probes)).toEqual([])
  })
})

describe('reading', () => {
  it("BUS-012 a backend cannot fetch, ack or inspect another backend's consumer", async () => {
    const nc = await conn('backend-other', 'creq')
    const missed = await notRefused(
      consumerRights('CREQ', 'backend-demo').map((s): [string, () => Promise<boolean>] => {
        const subject = s.replace('>', '1.1.1.1.1.1')
        return [subject, () => publishRefused(nc, subject)]
      }),
    )
    expect(missed).toEqual([])
    // Control: its own consumer answers.
    expect(await publishRefused(nc, '$JS.API.CONSUMER.INFO.CREQ.backend-other')).toBe(false)
  })

  it('BUS-013 no identity can fetch, ack or inspect a consumer that is not its own', async () => {
    const probes: Array<[string, () => Promise<boolean>]> = []
    for (const stream of h.topology.streams) {
      const spec = h.topology.buses.find((s) => s.name === stream.bus)!
      for (const consumer of stream.consumers) {
        for (const g of spec.grants) {
          if (g.identity === consumer.identity || g.identity === ADMIN) continue
          // WebSocket-only identities (edges) cannot dial TCP; the permission matrix covers them.
          if (g.websocketOnly) continue
          for (const right of consumerRights(stream.name, consumer.name)) {
            const subject = right.replace('>', '1.1.1.1.1.1')
            probes.push([
              `${g.identity}@${stream.bus} ${subject}`,
              async () => publishRefused(await conn(g.identity, stream.bus), subject),
            ])
          }
        }
      }
    }
    expect(probes.length).toBeGreaterThan(10)
    expect(await notRefused(probes)).toEqual([])
  }, 15_000)

  it('BUS-014 no identity can subscribe to stream subjects directly, bypassing its consumer', async () => {
    const probes: Array<[string, () => Promise<boolean>]> = []
    for (const [identity, spec] of tcpUsers((s) => s.jetstream)) {
      for (const stream of h.topology.streams.filter((s) => s.bus === spec.name)) {
        for (const subject of stream.subjects) {
          probes.push([
            `${identity}@${spec.name} ${subject}`,
            async () => subscribeRefused(await conn(identity, spec.name), subject),
          ])
        }
      }
    }
    expect(await notRefused(probes)).toEqual([])
  }, 15_000)

  it("BUS-015 no identity can subscribe to another identity's inbox or to everything", async () => {
    const probes: Array<[string, () => Promise<boolean>]> = []
    for (const [identity, spec] of tcpUsers()) {
      const foreign = [
        '>',
        '_INBOX.>',
        '$JS.>',
        subjects.linkInboxAll,
        ...spec.grants
          .filter((g) => g.identity !== identity)
          .map((g) => `${inboxPrefixOf(g.identity)}.>`),
      ]
      for (const subject of foreign) {
        probes.push([
          `${identity}@${spec.name} ${subject}`,
          async () => subscribeRefused(await conn(identity, spec.name), subject),
        ])
      }
    }
    expect(await notRefused(probes)).toEqual([])
    // Control: its own inbox is open to it.
    expect(await subscribeRefused(await conn('relay', 'dreq'), `${inboxPrefixOf('relay')}.>`)).toBe(
      false,
    )
  }, 30_000)

  it('BUS-016 the edge cannot subscribe to another edge inbox nor to the link requests', async () => {
    const edge = await connectLinkWebsocket(h, 'edge-local')
    dialed.push(edge)
    const missed = await notRefused(
      [
        `${subjects.linkInbox('other')}.>`,
        subjects.linkInboxAll,
        subjects.linkRequestAll,
        subjects.linkRequest('local'),
        '>',
      ].map((s): [string, () => Promise<boolean>] => [s, () => subscribeRefused(edge, s)]),
    )
    expect(missed).toEqual([])
  })
})

describe('administration', () => {
  const adminOnly = (stream: string, consumer: string) => [
    '$JS.API.INFO',
    '$JS.API.STREAM.CREATE.EVIL',
    `$JS.API.STREAM.UPDATE.${stream}`,
    `$JS.API.STREAM.DELETE.${stream}`,
    `$JS.API.STREAM.PURGE.${stream}`,
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.STREAM.MSG.DELETE.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    '$JS.API.STREAM.LIST',
    '$JS.API.STREAM.NAMES',
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.evil`,
    `$JS.API.CONSUMER.CREATE.${stream}.evil.pc.x`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.evil`,
    `$JS.API.CONSUMER.DELETE.${stream}.${consumer}`,
    `$JS.API.CONSUMER.LIST.${stream}`,
    `$JS.API.CONSUMER.NAMES.${stream}`,
  ]

  it('BUS-017 no component but admin can manage streams and consumers or read stored messages', async () => {
    const probes: Array<[string, () => Promise<boolean>]> = []
    for (const [identity, spec] of tcpUsers((s) => s.jetstream)) {
      if (identity === ADMIN) continue
      for (const stream of h.topology.streams.filter((s) => s.bus === spec.name)) {
        for (const subject of adminOnly(stream.name, stream.consumers[0]!.name)) {
          probes.push([
            `${identity}@${spec.name} ${subject}`,
            async () => publishRefused(await conn(identity, spec.name), subject),
          ])
        }
      }
    }
    expect(probes.length).toBeGreaterThan(50)
    expect(await notRefused(probes)).toEqual([])

    // Control: the admin identity can.
    const jsm = await jetstreamManager(await conn(ADMIN, 'dreq'))
    await jsm.streams.add({ name: 'SCRATCH', subjects: ['scratch.>'] })
    expect(await jsm.streams.delete('SCRATCH')).toBe(true)
  }, 30_000)
})
