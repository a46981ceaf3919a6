import { describe, expect, it } from 'vitest'
import { hostPortOf, linkUrlsOf, serverOrder } from './urls.js'

const urls = ['ws://127.0.0.1:4001', 'ws://127.0.0.1:4002', 'ws://127.0.0.1:4003']

describe('link URLs', () => {
  it('takes one to sixteen ws or wss URLs, nothing else', () => {
    expect(linkUrlsOf(urls.join(','))).toEqual(urls)
    expect(linkUrlsOf('http://127.0.0.1:4001')).toBeUndefined()
    expect(linkUrlsOf(Array(17).fill(urls[0]).join(','))).toBeUndefined()
  })

  it('names a node as nats.js does, host:port', () => {
    expect(hostPortOf('ws://127.0.0.1:4001')).toBe('127.0.0.1:4001')
    expect(hostPortOf('wss://link.example.com')).toBe('link.example.com:443')
  })

  it('LINK-403 a node this object saw hang is tried last by its next connects, until the suspicion expires', () => {
    const suspects = new Map([['127.0.0.1:4001', 2_000]])
    for (let i = 0; i < 20; i++) {
      const order = serverOrder(urls, suspects, 1_000)
      expect(order.at(-1)).toBe(urls[0])
      expect([...order].sort()).toEqual(urls)
    }
    const later = new Set(Array.from({ length: 50 }, () => serverOrder(urls, suspects, 3_000)[0]))
    expect(later.has(urls[0])).toBe(true)
  })
})
