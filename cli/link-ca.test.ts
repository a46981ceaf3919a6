import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { linkCaEnvOf } from './edge-dev.js'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-link-ca-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const cert = (n: string) => `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----`
const key = '-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----'
const configWith = (caFile?: string) => ({
  link: {
    tls: { certFile: 'c', keyFile: 'k', ...(caFile && { caFile }) },
    allowPlaintext: false,
  },
})

describe('the CA the local edge trusts for the link', () => {
  it('no caFile (a public certificate): wrangler gets no extra CA', () => {
    expect(linkCaEnvOf(configWith(), dir, {})).toEqual({})
    expect(linkCaEnvOf({ link: { allowPlaintext: false } }, dir, {})).toEqual({})
  })

  it('WSS-011 wrangler is handed the CA certificates only, never a key that shares their file, and keeps an inherited NODE_EXTRA_CA_CERTS', () => {
    const ca = join(dir, 'ca.pem')
    writeFileSync(ca, `${key}\n${cert('link-ca')}\n`)
    const inherited = join(dir, 'corporate.pem')
    writeFileSync(inherited, `${cert('corporate')}\n`)
    const env = linkCaEnvOf(configWith(ca), dir, { NODE_EXTRA_CA_CERTS: inherited })
    expect(env.NODE_EXTRA_CA_CERTS).toBe(join(dir, 'link-ca.pem'))
    const text = readFileSync(env.NODE_EXTRA_CA_CERTS!, 'utf8')
    expect(text).toBe(`${cert('link-ca')}\n${cert('corporate')}\n`)
    expect(text).not.toContain('PRIVATE KEY')
  })

  it('a caFile without a certificate, or missing, stops the start naming the key', () => {
    const empty = join(dir, 'empty.pem')
    writeFileSync(empty, `${key}\n`)
    expect(() => linkCaEnvOf(configWith(empty), dir, {})).toThrow(
      /config link\.tls\.caFile: no PEM certificate/,
    )
    expect(() => linkCaEnvOf(configWith(join(dir, 'missing.pem')), dir, {})).toThrow(
      /config link\.tls\.caFile: cannot read/,
    )
  })
})
