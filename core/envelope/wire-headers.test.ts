import { describe, expect, it } from 'vitest'
import { headers as natsHeaders, Match, MsgHdrsImpl } from '@nats-io/nats-core'
import { WireHeaders } from './wire-headers.js'

const decoder = new TextDecoder()

describe('WireHeaders', () => {
  it('writes the same header block as nats-core for the same calls', () => {
    const ours = new WireHeaders()
    const theirs = natsHeaders()
    for (const h of [ours, theirs]) {
      h.set('Portcullis-Envelope', '1')
      h.append('H-accept', 'application/json')
      h.append('H-accept', ' text/plain ')
      h.set('Nats-Msg-Id', 'abc')
      h.set('Nats-Msg-Id', 'def')
      h.delete('missing')
    }
    expect(decoder.decode(ours.encode())).toBe(decoder.decode((theirs as MsgHdrsImpl).encode()))
    const back = MsgHdrsImpl.decode(ours.encode())
    expect(back.values('H-accept')).toEqual(['application/json', 'text/plain'])
    expect(back.get('Nats-Msg-Id')).toBe('def')
    expect([...ours]).toEqual([...theirs])
  })

  it('reads by exact name, and by canonical or case-insensitive name when asked', () => {
    const h = new WireHeaders()
    h.append('portcullis-kind', 'request')
    expect(h.get('Portcullis-Kind')).toBe('')
    expect(h.get('Portcullis-Kind', Match.IgnoreCase)).toBe('request')
    expect(h.has('PORTCULLIS-KIND', Match.IgnoreCase)).toBe(true)
    h.append('x-a', '1', Match.CanonicalMIME)
    expect(h.keys()).toContain('X-A')
    expect(h.last('X-A')).toBe('1')
    h.delete('PORTCULLIS-KIND', Match.IgnoreCase)
    expect(h.keys()).toEqual(['X-A'])
  })

  it('refuses a name nats would refuse and a value that would split the block', () => {
    const h = new WireHeaders()
    expect(() => h.set('bad name', 'x')).toThrow(/header name/)
    expect(() => h.set('bad:name', 'x')).toThrow(/header name/)
    expect(() => h.set('ok', 'a\r\nInjected: 1')).toThrow(/\\r or \\n/)
    expect(h.encode()).toHaveLength(0)
  })
})
