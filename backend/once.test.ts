import { describe, expect, it } from 'vitest'
import { OnceMemory } from './once.js'

describe('OnceMemory', () => {
  it('gives a second delivery the first answer instead of producing it again', async () => {
    const memory = new OnceMemory<string>({ ttlMs: 1_000, maxPending: 10, maxDelivered: 10 })
    let calls = 0
    const produce = async () => `answer ${++calls}`
    const [a, b] = await Promise.all([memory.run('r1', 0, produce), memory.run('r1', 1, produce)])
    expect(a).toEqual({ value: 'answer 1', reused: false })
    expect(b).toEqual({ value: 'answer 1', reused: true })
    expect(await memory.run('r1', 2, produce)).toEqual({ value: 'answer 1', reused: true })
    expect(calls).toBe(1)
  })

  it('remembers delivered ids for the window, then forgets them', () => {
    const memory = new OnceMemory<string>({ ttlMs: 1_000, maxPending: 10, maxDelivered: 10 })
    memory.markDelivered('r1', 0)
    expect(memory.isDelivered('r1', 999)).toBe(true)
    expect(memory.isDelivered('r1', 1_000)).toBe(false)
    expect(memory.size.pending).toBe(0)
  })

  it('does not keep a failure, so the next delivery may try again', async () => {
    const memory = new OnceMemory<string>({ ttlMs: 1_000, maxPending: 10, maxDelivered: 10 })
    await expect(memory.run('r1', 0, () => Promise.reject(new Error('bug')))).rejects.toThrow('bug')
    expect(await memory.run('r1', 1, async () => 'ok')).toEqual({ value: 'ok', reused: false })
  })

  it('stays bounded', async () => {
    const memory = new OnceMemory<string>({ ttlMs: 1_000, maxPending: 2, maxDelivered: 3 })
    for (let i = 0; i < 10; i++) {
      await memory.run(`p${i}`, i, async () => 'x')
      memory.markDelivered(`d${i}`, i)
    }
    expect(memory.size).toEqual({ pending: 2, delivered: 3 })
    expect(memory.isDelivered('d9', 10)).toBe(true)
    expect(memory.isDelivered('d0', 10)).toBe(false)
  })
})
