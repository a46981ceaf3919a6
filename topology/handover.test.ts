import { describe, expect, it } from 'vitest'
import type { PeerInfo } from '@nats-io/jetstream'
import { isCaughtUp } from './handover.js'

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
