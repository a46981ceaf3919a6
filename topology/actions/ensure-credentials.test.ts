import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { decode, type Account, type Operator, type User } from '@nats-io/jwt'
import { describeTopology } from '../description/describe.js'
import { userClaimsOf } from '../description/credential-claims.js'
import type { Topology, TopologyConfig } from '../description/types.js'
import { ensureCredentials } from './ensure-credentials.js'
import { issueCreds } from './issue-creds.js'
import { credsPath } from './key-paths.js'
import { readCreds, readTrust } from './read-credentials.js'
import { rotateIdentity } from './rotate-identity.js'
import { readSeed } from './seeds.js'
import { parseUserCreds } from '../../core/index.js'
import { fromSeed } from '@nats-io/nkeys'

const config = {
  topology: 'isolated',
  edge: { id: 'local' },
  upstreams: {
    demo: {
      baseUrl: 'http://127.0.0.1:8790',
      openapi: 'x',
      timeoutMs: 1,
      maxResponseBytes: 1,
      honoursIdempotencyKey: false,
    },
  },
  bus: {
    host: '127.0.0.1',
    nodes: 1,
    ports: { link: 7420, linkWebsocket: 7421, dreq: 7422, creq: 7423, dresp: 7424, cresp: 7425 },
    maxPayloadBytes: 2_097_152,
    duplicateWindowMs: 120_000,
    streamMaxBytes: 1_073_741_824,
    streamMaxMessages: 1_000_000,
    maxDeliver: 5,
    ackWaitMs: 3000,
    credentialsTtlSeconds: 3600,
  },
} satisfies TopologyConfig

const topology = describeTopology(config)
const TTL = { ttlSeconds: 3600 }
let dir: string
/** A key folder made once: signing is slow enough that each test copies it instead. */
let template: string

beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'portcullis-creds-template-'))
  await ensureCredentials(template, topology, TTL)
})

afterAll(() => {
  rmSync(template, { recursive: true, force: true })
})

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-creds-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** The test's folder holds what a first `ensureCredentials` made. */
function issued(): void {
  cpSync(template, dir, { recursive: true })
}

function userClaims(bus: string, identity: string) {
  const creds = parseUserCreds(readFileSync(join(dir, 'creds', bus, `${identity}.creds`), 'utf8'))
  return decode<User>(creds!.jwt)
}

function accountClaims(bus: string) {
  return decode<Account>(readFileSync(join(dir, 'accounts', `${bus}.jwt`), 'utf8').trim())
}

function publicKeyOf(identity: string): string {
  return fromSeed(readSeed(dir, identity)).getPublicKey()
}

function allCreds(t: Topology = topology): Record<string, string> {
  return Object.fromEntries(
    t.buses.flatMap((s) =>
      s.grants.map((g) => {
        const path = credsPath(dir, s.name, g.identity)
        return [`${g.identity}@${s.name}`, readFileSync(path, 'utf8')]
      }),
    ),
  )
}

describe('ensureCredentials', () => {
  it('issues one user JWT per grant: its allow-lists, its connection type, an expiry', async () => {
    const result = await ensureCredentials(dir, topology, TTL)
    const op = decode<Operator>(readFileSync(join(dir, 'operator', 'operator.jwt'), 'utf8').trim())
    expect(op.iss).toBe(op.sub)
    expect(op.nats.system_account).toBe(result.trust.system.publicKey)
    for (const bus of topology.buses) {
      const account = accountClaims(bus.name)
      expect(account.iss).toBe(op.sub)
      expect(account.sub).toBe(result.trust.accounts[bus.name]!.publicKey)
      for (const grant of bus.grants) {
        const path = credsPath(dir, bus.name, grant.identity)
        expect(statSync(path).mode & 0o777).toBe(0o600)
        expect(statSync(dirname(path)).mode & 0o777).toBe(0o700)
        const user = userClaims(bus.name, grant.identity)
        expect(user.iss).toBe(account.sub)
        expect(user.sub).toBe(publicKeyOf(grant.identity))
        expect(user.nats.pub).toEqual({ allow: grant.publish })
        expect(user.nats.sub).toEqual({ allow: grant.subscribe })
        expect(user.nats.allowed_connection_types).toEqual([
          grant.websocketOnly ? 'WEBSOCKET' : 'STANDARD',
        ])
        // encodeUser stamps iat from its own clock, so a second may tick between exp and iat.
        expect(user.exp! - user.iat).toBeGreaterThanOrEqual(3599)
        expect(user.exp! - user.iat).toBeLessThanOrEqual(3600)
        const creds = parseUserCreds(readFileSync(path, 'utf8'))!
        expect(creds.seed).toBe(new TextDecoder().decode(readSeed(dir, grant.identity)))
      }
    }
    expect(userClaims('link', 'edge-local').nats.allowed_connection_types).toEqual(['WEBSOCKET'])
    expect(result.creds.every((c) => c.issued === 'new')).toBe(true)
    expect(result.creds).toHaveLength(topology.buses.flatMap((s) => s.grants).length)
  })

  it('is idempotent: a second run issues nothing and changes no file', async () => {
    issued()
    const before = allCreds()
    const accounts = topology.buses.map((s) => accountClaims(s.name).jti)
    const again = await ensureCredentials(dir, topology, TTL)
    expect(again.creds.filter((c) => c.issued)).toEqual([])
    expect(again.changedAccounts).toEqual([])
    expect(again.revoked).toEqual([])
    expect(allCreds()).toEqual(before)
    expect(topology.buses.map((s) => accountClaims(s.name).jti)).toEqual(accounts)
  })

  it('renews credentials once less than a third of their lifetime is left', async () => {
    issued()
    const later = Date.now() + 2500 * 1000
    const result = await ensureCredentials(dir, topology, { ...TTL, now: () => later })
    expect(new Set(result.creds.map((c) => c.issued))).toEqual(new Set(['renewal due']))
    expect(result.revoked).toEqual([])
    expect(userClaims('dreq', 'relay').exp).toBe(Math.floor(later / 1000) + 3600)
  })

  it('re-issues credentials whose lifetime differs from the configured one', async () => {
    issued()
    const result = await ensureCredentials(dir, topology, { ttlSeconds: 600 })
    expect(new Set(result.creds.map((c) => c.issued))).toEqual(new Set(['lifetime changed']))
    // encodeUser stamps iat from its own clock, so a second may tick between exp and iat.
    const { exp, iat } = userClaims('dreq', 'relay')
    expect(exp! - iat).toBeGreaterThanOrEqual(599)
    expect(exp! - iat).toBeLessThanOrEqual(600)
  })

  it('re-issues a changed grant and revokes the JWTs issued under the old one', async () => {
    issued()
    const old = userClaims('dreq', 'relay')
    const narrowed = structuredClone(topology)
    const grant = narrowed.buses.find((s) => s.name === 'dreq')!.grants[0]!
    expect(grant.identity).toBe('relay')
    grant.publish = ['pc.dreq.local.>']
    const result = await ensureCredentials(dir, narrowed, TTL)
    expect(result.creds.filter((c) => c.issued)).toMatchObject([
      { bus: 'dreq', identity: 'relay', issued: 'grant changed' },
    ])
    expect(result.changedAccounts).toEqual(['dreq'])
    expect(accountClaims('dreq').nats.revocations).toEqual({ [old.sub]: old.iat })
    const now = userClaims('dreq', 'relay')
    expect(now.nats.pub).toEqual({ allow: ['pc.dreq.local.>'] })
    // Same key, so the new JWT must be issued after the revocation to be valid.
    expect(now.iat).toBeGreaterThan(old.iat)
  })

  it('revokes and removes the credentials of an identity that lost its grant', async () => {
    issued()
    const relay = publicKeyOf('relay')
    const without = structuredClone(topology)
    const dreq = without.buses.find((s) => s.name === 'dreq')!
    dreq.grants = dreq.grants.filter((g) => g.identity !== 'relay')
    const result = await ensureCredentials(dir, without, TTL)
    expect(existsSync(credsPath(dir, 'dreq', 'relay'))).toBe(false)
    expect(result.revoked).toEqual([{ bus: 'dreq', identity: 'relay', publicKey: relay }])
    expect(Object.keys(accountClaims('dreq').nats.revocations ?? {})).toEqual([relay])
    expect(accountClaims('cresp').nats.revocations).toBeUndefined()
  })

  it('refuses grants that cannot be written as a closed allow-list', () => {
    const dreq = structuredClone(topology.buses.find((s) => s.name === 'dreq')!)
    const relay = dreq.grants[0]!
    expect(() => userClaimsOf(dreq, { ...relay, subscribe: [] })).toThrow(/empty subscribe list/)
    expect(() => userClaimsOf(dreq, { ...relay, publish: ['pc.dreq.> x'] })).toThrow(/bad subject/)
    expect(() => userClaimsOf(dreq, { ...relay, websocketOnly: true })).toThrow(/WebSocket-only/)
    dreq.grants.push(relay)
    const twice = { ...topology, buses: [dreq] }
    return expect(ensureCredentials(dir, twice, TTL)).rejects.toThrow(/granted twice/)
  })

  it('a grant given twice is TOPOLOGY_INVALID, and nothing is signed for that bus', async () => {
    const dreq = structuredClone(topology.buses.find((s) => s.name === 'dreq')!)
    dreq.grants.push(dreq.grants[0]!)
    await expect(ensureCredentials(dir, { ...topology, buses: [dreq] }, TTL)).rejects.toMatchObject(
      {
        code: 'TOPOLOGY_INVALID',
        message: 'identity relay granted twice on dreq',
      },
    )
    expect(existsSync(join(dir, 'accounts', 'dreq.jwt'))).toBe(false)
  })

  it('a lifetime that is not a whole positive number of seconds is CONFIG_INVALID', async () => {
    await expect(ensureCredentials(dir, topology, { ttlSeconds: 0.5 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      key: 'bus.credentialsTtlSeconds',
    })
  })

  it('leaves only public material for the servers: readTrust finds the same', async () => {
    const { trust } = await ensureCredentials(dir, topology, TTL)
    expect(readTrust(dir, topology)).toEqual(trust)
    expect(JSON.stringify(trust)).not.toMatch(/\bS[UAO][A-Z2-7]{50,}/)
  })
})

describe('rotateIdentity', () => {
  it('gives one identity a new key and credentials and revokes its old key', async () => {
    issued()
    const before = allCreds()
    const old = publicKeyOf('relay')
    const rotation = await rotateIdentity(dir, topology, 'relay', TTL)
    expect(rotation.previousKey).toBe(old)
    expect(rotation.publicKey).toBe(publicKeyOf('relay'))
    expect(rotation.publicKey).not.toBe(old)
    expect(rotation.buses).toEqual(['link', 'dreq', 'cresp'])
    expect(rotation.result.changedAccounts.sort()).toEqual(['cresp', 'dreq', 'link'])
    for (const bus of rotation.buses) {
      expect(userClaims(bus, 'relay').sub).toBe(rotation.publicKey)
      expect(Object.keys(accountClaims(bus).nats.revocations ?? {})).toEqual([old])
    }
    expect(accountClaims('creq').nats.revocations).toBeUndefined()
    // Every other identity's credentials are exactly as they were.
    const after = allCreds()
    for (const key of Object.keys(before).filter((k) => !k.startsWith('relay@')))
      expect(after[key], key).toBe(before[key])
  })

  it('refuses an identity the topology does not have', async () => {
    await expect(rotateIdentity(dir, topology, 'mallory', TTL)).rejects.toThrow(/no identity/)
    await expect(rotateIdentity(dir, topology, 'mallory', TTL)).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
    })
    await expect(rotateIdentity(dir, topology, '../x', TTL)).rejects.toThrow(/no identity/)
  })
})

describe('readCreds and issueCreds', () => {
  it('reads a private creds file and refuses one others can read or that is not creds', async () => {
    issued()
    expect(new TextDecoder().decode(readCreds(dir, 'relay', 'dreq'))).toContain('NATS USER JWT')
    expect(() => readCreds(dir, 'relay', 'creq')).toThrow(/no credentials for relay on creq/)
    chmodSync(credsPath(dir, 'dreq', 'relay'), 0o644)
    expect(() => readCreds(dir, 'relay', 'dreq')).toThrow(/readable by others/)
    chmodSync(credsPath(dir, 'dreq', 'relay'), 0o600)
    writeFileSync(credsPath(dir, 'dreq', 'relay'), 'garbage')
    expect(() => readCreds(dir, 'relay', 'dreq')).toThrow(/not a NATS creds file/)
    expect(() => readCreds(dir, 'relay', 'dreq')).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID', file: credsPath(dir, 'dreq', 'relay') }),
    )
    expect(() => readCreds(dir, 'relay', 'creq')).toThrow(
      expect.objectContaining({ code: 'KEY_MISSING', file: credsPath(dir, 'creq', 'relay') }),
    )
    const result = await ensureCredentials(dir, topology, TTL)
    expect(result.creds.filter((c) => c.issued)).toMatchObject([
      { bus: 'dreq', identity: 'relay', issued: 'unreadable' },
    ])
    expect(readCreds(dir, 'relay', 'dreq').length).toBeGreaterThan(100)
  })

  it('issues credentials with a chosen expiry without storing them', async () => {
    issued()
    const stored = readFileSync(credsPath(dir, 'dreq', 'relay'), 'utf8')
    const past = Date.now() - 3_600_000
    const text = new TextDecoder().decode(
      await issueCreds(dir, topology, 'dreq', 'relay', { ttlSeconds: 60, now: () => past }),
    )
    const claims = decode<User>(parseUserCreds(text)!.jwt)
    expect(claims.exp).toBe(Math.floor(past / 1000) + 60)
    expect(claims.sub).toBe(publicKeyOf('relay'))
    expect(readFileSync(credsPath(dir, 'dreq', 'relay'), 'utf8')).toBe(stored)
    await expect(issueCreds(dir, topology, 'creq', 'relay', TTL)).rejects.toThrow(/no grant/)
  })
})
