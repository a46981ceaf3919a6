import { describe, expect, it } from 'vitest'
import type { AuditEvent } from '../../core/audit/index.js'
import { MirrorError, openMirrors, type MirrorConfig, type MirrorRecord } from './index.js'

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    return e instanceof MirrorError ? e.code : 'not a MirrorError'
  }
  return undefined
}

describe('openMirrors', () => {
  it('opens nothing when no mirror is configured, and takes records all the same', async () => {
    const set = openMirrors({ mirrorQueue: 10 })
    expect(set.mirrors).toHaveLength(0)
    set.send({
      kind: 'checkpoint',
      checkpoint: { seq: 1, hash: 'h', time: 't', keyId: 'k', signature: 's' },
    })
    expect(set.stats()).toEqual({ sent: 0, dropped: 0, failed: 0, queued: 0 })
    expect(await set.flush(10)).toBe(true)
    await set.close()
  })

  it.each([
    [{ mirrorQueue: 0 }],
    [{ mirrorQueue: 10, syslog: { host: '', port: 514, transport: 'udp', appName: 'p' } }],
    [{ mirrorQueue: 10, syslog: { host: 'h', port: 70_000, transport: 'udp', appName: 'p' } }],
    [{ mirrorQueue: 10, syslog: { host: 'h', port: 514, transport: 'tls', appName: 'p' } }],
    [{ mirrorQueue: 10, otlp: { url: 'ftp://collector/v1/logs', timeoutMs: 1000 } }],
    [{ mirrorQueue: 10, otlp: { url: 'not a url', timeoutMs: 1000 } }],
    [{ mirrorQueue: 10, otlp: { url: 'http://collector/v1/logs', timeoutMs: 0 } }],
    [
      {
        mirrorQueue: 10,
        otlp: { url: 'http://collector/v1/logs', timeoutMs: 1000, headers: { 'a b': 'x' } },
      },
    ],
    [
      {
        mirrorQueue: 10,
        otlp: {
          url: 'http://collector/v1/logs',
          timeoutMs: 1000,
          headers: { a: 'x\r\nInjected: 1' },
        },
      },
    ],
  ])('refuses a wrong option with MIRROR_OPTIONS_INVALID: %j', (config) => {
    expect(codeOf(() => openMirrors(config as MirrorConfig))).toBe('MIRROR_OPTIONS_INVALID')
  })

  it('AUD-206 an OTLP URL with credentials is refused, and no error names a header value', () => {
    const secret = 'Bearer s3cr3t-t0ken'
    for (const config of [
      { mirrorQueue: 1, otlp: { url: 'http://user:pw@collector/v1/logs', timeoutMs: 1000 } },
      {
        mirrorQueue: 1,
        otlp: {
          url: 'http://collector/v1/logs',
          timeoutMs: 1000,
          headers: { authorization: `${secret}\n` },
        },
      },
    ]) {
      let message = ''
      try {
        openMirrors(config)
      } catch (e) {
        message = (e as Error).message
      }
      expect(message).toMatch(/otlp\./)
      expect(message).not.toContain('s3cr3t')
      expect(message).not.toContain(':pw')
    }
  })

  it('AUD-207 send never throws, whatever it is given, and counts what it cannot take', async () => {
    const set = openMirrors(
      { mirrorQueue: 4, syslog: { host: '127.0.0.1', port: 9, transport: 'udp', appName: 'p' } },
      { hostname: 'h', procId: '1' },
    )
    const junk = [
      null,
      undefined,
      42,
      'x',
      {},
      { kind: 'event' },
      { kind: 'event', event: null },
      { kind: 'other' },
    ]
    for (const j of junk) expect(() => set.send(j as unknown as MirrorRecord)).not.toThrow()
    expect(set.stats().dropped).toBe(junk.length)
    // An event whose fields are all of the wrong type still goes out, as what can be read of it.
    set.send({
      kind: 'event',
      event: { id: 1, time: {}, verdict: [] } as unknown as AuditEvent,
    })
    expect(await set.flush(2000)).toBe(true)
    expect(set.stats()).toMatchObject({ sent: 1, queued: 0 })
    await set.close()
    set.send({
      kind: 'checkpoint',
      checkpoint: { seq: 1, hash: 'h', time: 't', keyId: 'k', signature: 's' },
    })
    expect(set.stats().dropped).toBe(junk.length + 1)
  })
})
