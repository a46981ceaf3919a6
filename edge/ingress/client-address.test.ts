import { describe, expect, it } from 'vitest'
import { addressKey, clientAddressBucket } from './client-address.js'

describe('client address keys', () => {
  it('RATE-315 one key per IPv4 address and per IPv6 /64, whatever the spelling; anything else has none', () => {
    const same: Array<[string, string[]]> = [
      ['ip4:192.0.2.1', ['192.0.2.1', ' 192.0.2.1 ', '::ffff:192.0.2.1', '::FFFF:c000:201']],
      ['ip4:192.0.2.1', ['0:0:0:0:0:ffff:c000:0201', '[::ffff:192.0.2.1]', '::ffff:192.0.2.1%en0']],
      ['ip6:2001:db8:0:1::/64', ['2001:db8:0:1::1', '2001:DB8:0:1::2', '2001:0db8:0000:0001::3']],
      ['ip6:2001:db8:0:1::/64', ['2001:db8:0:1:ffff:ffff:ffff:ffff', '2001:db8::1:0:0:0:4']],
      [
        'ip6:2001:db8:0:1::/64',
        ['2001:db8:0:1::1%eth0', '[2001:db8:0:1::1]', '2001:db8:0:1:0:0:1.2.3.4'],
      ],
      ['ip6:fe80:0:0:0::/64', ['fe80::1%eth0', 'fe80::2%25en1']],
      ['ip6:0:0:0:0::/64', ['::', '::1', '::1.2.3.4']],
    ]
    for (const [key, spellings] of same) {
      for (const text of spellings) expect(addressKey(text), text).toBe(key)
    }
    expect(addressKey('2001:db8:0:2::1')).not.toBe(addressKey('2001:db8:0:1::1'))
    for (const junk of [
      '',
      'localhost',
      '010.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1.2.3.-1',
      '١.٢.٣.٤',
      '1.2.3.4:80',
      '[1.2.3.4]',
      '1.2.3.4, 5.6.7.8',
      '0x7f.0.0.1',
      '2001:db8::1::2',
      '2001:db8:0:1:2:3:4:5:6',
      '1:2:3:4:5:6:7:8::',
      '2001:db8:::1',
      ':2001:db8::1',
      '2001:db8::1:',
      '2001:db8::g',
      '2001:db8::12345',
      '1.2.3.4::1',
      '::ffff:1.2.3',
      '2001:db8::' + 'a'.repeat(100),
    ]) {
      expect(addressKey(junk), junk).toBeUndefined()
    }
  })

  it('RATE-316 the bucket: the address on Cloudflare (the real IPv6 behind a Pseudo IPv4), one shared bucket locally or when there is none', () => {
    const h = (pairs: Record<string, string>) => new Headers(pairs)
    expect(clientAddressBucket(h({ 'cf-connecting-ip': '192.0.2.1' }), 'cloudflare')).toBe(
      'ip4:192.0.2.1',
    )
    expect(clientAddressBucket(h({ 'cf-connecting-ip': '192.0.2.1' }), 'local')).toBe('local')
    expect(clientAddressBucket(h({}), 'cloudflare')).toBe('unknown')
    expect(clientAddressBucket(h({ 'cf-connecting-ip': 'garbage' }), 'cloudflare')).toBe('unknown')
    expect(
      clientAddressBucket(
        h({ 'cf-connecting-ip': '240.16.0.1', 'cf-connecting-ipv6': '2001:db8:0:1::9' }),
        'cloudflare',
      ),
    ).toBe('ip6:2001:db8:0:1::/64')
    // A real IPv4 client's own CF-Connecting-IPv6 is not read; nor a Pseudo IPv4 without one.
    expect(
      clientAddressBucket(
        h({ 'cf-connecting-ip': '192.0.2.1', 'cf-connecting-ipv6': '2001:db8:0:1::9' }),
        'cloudflare',
      ),
    ).toBe('ip4:192.0.2.1')
    expect(clientAddressBucket(h({ 'cf-connecting-ip': '240.16.0.1' }), 'cloudflare')).toBe(
      'ip4:240.16.0.1',
    )
    for (const header of ['x-forwarded-for', 'x-real-ip', 'true-client-ip', 'forwarded']) {
      expect(clientAddressBucket(h({ [header]: '192.0.2.1' }), 'cloudflare')).toBe('unknown')
    }
  })
})
