import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config/index.js'
import { describeTopology } from './describe.js'
import { backendIdentity } from './names.js'
import {
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  IDEMPOTENCY_STORE_MAX_BYTES,
  idempotencyStoreOf,
  idempotencyStreamConfig,
} from './idempotency.js'

const base = loadConfig('portcullis.config.json')
const withHosts = {
  ...base,
  upstreams: { ...base.upstreams, other: base.upstreams.demo! },
}

function publishOf(mode: 'isolated' | 'single-nats' | 'single-validation', identity: string) {
  const topology = describeTopology({ ...withHosts, topology: mode })
  return Object.fromEntries(
    topology.buses.map((b) => [
      b.name,
      b.grants
        .find((g) => g.identity === identity)
        ?.publish.filter((p) => p.includes('IDEM') || p.startsWith('pc.idem')) ?? [],
    ]),
  )
}

describe('the replay store in the topology', () => {
  it("IDEM-050 each backend connector may write and read only its own host's records, on the bus it reads; nobody else any", () => {
    for (const [mode, bus] of [
      ['isolated', 'creq'],
      ['single-nats', 'creq'],
      ['single-validation', 'dreq'],
    ] as const) {
      expect(idempotencyStoreOf({ mode }).bus).toBe(bus)
      const demo = publishOf(mode, backendIdentity('demo'))
      for (const [on, grants] of Object.entries(demo)) {
        expect(grants, `${mode} ${on}`).toEqual(
          on === bus ? ['pc.idem.demo.*', '$JS.API.DIRECT.GET.IDEM.pc.idem.demo.*'] : [],
        )
      }
      const topology = describeTopology({ ...withHosts, topology: mode })
      for (const spec of topology.buses) {
        for (const grant of spec.grants) {
          if (grant.identity.startsWith('backend-') || grant.identity === 'admin') continue
          const touches = [...grant.publish, ...grant.subscribe].filter(
            (p) => p.startsWith('pc.idem') || p.includes('.IDEM'),
          )
          expect(touches, `${mode} ${spec.name} ${grant.identity}`).toEqual([])
        }
      }
    }
  })

  it('keeps one record per key for the window, refuses new records when full, and replicates with the bus', () => {
    const spec = idempotencyStoreOf({ mode: 'isolated' })
    const config = idempotencyStreamConfig(spec, base.bus)
    expect(config).toMatchObject({
      name: 'IDEM',
      subjects: ['pc.idem.>'],
      retention: 'limits',
      max_msgs_per_subject: 1,
      max_age: DEFAULT_IDEMPOTENCY_WINDOW_MS * 1_000_000,
      discard: 'new',
      allow_direct: true,
      deny_delete: true,
      num_replicas: 1,
    })
    expect(config.max_bytes).toBeLessThanOrEqual(IDEMPOTENCY_STORE_MAX_BYTES)
    expect(idempotencyStreamConfig(spec, { ...base.bus, nodes: 3 }).num_replicas).toBe(3)
    expect(
      idempotencyStreamConfig(spec, { ...base.bus, idempotencyWindowMs: 60_000 }).max_age,
    ).toBe(60_000 * 1_000_000)
  })
})
