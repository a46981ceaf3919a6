import { describe, expect, it } from 'vitest'
import type { PeerInfo } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { SetupError } from '../../core/index.js'
import { isCaughtUp, waitCaughtUp } from './handover.js'

const peer = (p: Partial<PeerInfo>): PeerInfo => ({
  name: 'n',
  current: false,
  offline: false,
  active: 100e6,
  lag: 0,
  ...p,
})

describe('a restarted node caught up, before the next node may go', () => {
  it('counts a current follower', () => {
    expect(isCaughtUp(peer({ current: true, lag: 500 }))).toBe(true)
  })
  it('counts a follower a few entries behind that the leader heard from lately (steady load)', () => {
    expect(isCaughtUp(peer({ lag: 2 }))).toBe(true)
  })
  it('does not count an offline follower, one far behind, or one not heard from', () => {
    expect(isCaughtUp(peer({ current: true, offline: true }))).toBe(false)
    expect(isCaughtUp(peer({ lag: 5_000 }))).toBe(false)
    expect(isCaughtUp(peer({ lag: 0, active: 30_000e6 }))).toBe(false)
  })
})

describe('waitCaughtUp', () => {
  it('a node still behind when the time is up is BUS_NOT_READY, naming it and why', async () => {
    // A connection whose every JetStream request fails: nothing ever reports the node back.
    const nc = {
      request: () => Promise.reject(new Error('no responders')),
    } as unknown as NatsConnection
    const failed = await waitCaughtUp(nc, 'portcullis-dreq-2', 0).catch((e) => e)
    expect(failed).toBeInstanceOf(SetupError)
    expect(failed).toMatchObject({ code: 'BUS_NOT_READY' })
    expect(failed.message).toMatch(/^portcullis-dreq-2 not caught up after 0 ms: the JetStream API/)
  })
})
