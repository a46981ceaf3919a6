/** The floor row against a real nats-server: every request crosses the four streams. */
import { describe, expect, it } from 'vitest'
import { benchFloor } from './floor.js'

describe('benchFloor', () => {
  it('moves requests through four streams one at a time and many in flight, with their CPU', async () => {
    const [one, many] = await benchFloor(0.3, 8)
    for (const r of [one!, many!]) {
      expect(r.requests).toBeGreaterThan(0)
      expect(r.p50Ms).toBeGreaterThan(0)
      expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms)
      expect(Object.keys(r.cpu).sort()).toEqual(['bench', 'nats-server'])
    }
    expect(one!.inFlight).toBe(1)
    expect(many!.inFlight).toBe(8)
  }, 30_000)
})
