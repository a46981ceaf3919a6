import { describe, expect, it } from 'vitest'
import { Backoff } from './backoff.js'
import { BoundedQueue } from './queue.js'

const drain = <T>(q: BoundedQueue<T>): T[] => {
  const out: T[] = []
  for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x)
  return out
}

describe('BoundedQueue', () => {
  it('is first in, first out, across the ring', () => {
    const q = new BoundedQueue<number>(3)
    q.push(1)
    q.push(2)
    expect(q.shift()).toBe(1)
    q.push(3)
    q.push(4)
    expect(q.length).toBe(3)
    expect(drain(q)).toEqual([2, 3, 4])
    expect(q.shift()).toBeUndefined()
  })

  it('pushes the oldest out when full, and says so', () => {
    const q = new BoundedQueue<number>(3)
    const dropped = [1, 2, 3, 4, 5].map((n) => q.push(n))
    expect(dropped).toEqual([0, 0, 0, 1, 1])
    expect(drain(q)).toEqual([3, 4, 5])
  })

  it('puts retried items back at the front, in order, dropping those that do not fit', () => {
    const q = new BoundedQueue<number>(4)
    q.push(10)
    q.push(11)
    expect(q.unshiftAll([1, 2])).toBe(0)
    expect(drain(q)).toEqual([1, 2, 10, 11])
    q.push(10)
    q.push(11)
    q.push(12)
    expect(q.unshiftAll([1, 2, 3])).toBe(2)
    expect(drain(q)).toEqual([3, 10, 11, 12])
  })

  it('holds a million pushes in its bound', () => {
    const q = new BoundedQueue<number>(1000)
    let dropped = 0
    for (let i = 0; i < 1_000_000; i++) dropped += q.push(i)
    expect(dropped).toBe(999_000)
    expect(q.length).toBe(1000)
    expect(q.shift()).toBe(999_000)
    expect(q.clear()).toBe(999)
    expect(q.length).toBe(0)
  })

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError)
    expect(() => new BoundedQueue(1.5)).toThrow(RangeError)
  })
})

describe('Backoff', () => {
  it('doubles up to its bound, spread by at most 20 %, and starts over on reset', () => {
    const mid = new Backoff(100, 1000, () => 0.5)
    expect([1, 2, 3, 4, 5, 6].map(() => mid.delay())).toEqual([100, 200, 400, 800, 1000, 1000])
    mid.reset()
    expect(mid.delay()).toBe(100)
    const low = new Backoff(100, 1000, () => 0)
    expect(low.delay()).toBe(80)
    const high = new Backoff(100, 1000, () => 0.999)
    for (let i = 0; i < 10; i++) expect(high.delay()).toBeLessThanOrEqual(1000)
  })
})
