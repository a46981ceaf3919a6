/**
 * The buses' credentials against real nats-servers in operator mode: expired, revoked,
 * forged, stolen and misplaced credentials are refused by the broker, and `portcullis keys
 * rotate` replaces one component's key while the servers keep running and traffic flows.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  credsAuthenticator,
  errors,
  jwtAuthenticator,
  type Authenticator,
  type NatsConnection,
} from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { jetstream } from '@nats-io/jetstream'
import { createAccount, createUser, encodeUser, fmtCreds } from '@nats-io/jwt'
import { parseUserCreds, subjects, type BusName } from '../../core/index.js'
import { inboxPrefixOf, issueCreds, readCreds, serverUrl } from '../../topology/index.js'
import { REPO_ROOT, startBuses, type BusHarness } from '../harness/buses.js'

let h: BusHarness
const opened: NatsConnection[] = []

beforeAll(async () => {
  h = await startBuses()
}, 30_000)

afterAll(async () => {
  await Promise.allSettled(opened.map((nc) => nc.close()))
  await h?.stop()
}, 30_000)

const ONCE = { maxReconnectAttempts: 0, reconnect: false }

/** One attempt over plain TCP as whoever `authenticator` says, no reconnect. */
async function dial(
  bus: BusName,
  authenticator: Authenticator,
  identity = 'relay',
): Promise<NatsConnection> {
  const nc = await connect({
    servers: serverUrl(h.topology, bus),
    authenticator,
    inboxPrefix: inboxPrefixOf(identity),
    ...ONCE,
  })
  opened.push(nc)
  return nc
}

async function refused(attempt: Promise<NatsConnection>): Promise<boolean> {
  try {
    await attempt
    return false
  } catch (e) {
    if (e instanceof errors.AuthorizationError) return true
    // The server refuses by sending -ERR and closing; when the close wins the race with the
    // client's CONNECT write, the client sees the hang-up (EPIPE, ECONNRESET) instead of the
    // -ERR. Still a refusal by a server that is up: every probe dials a server other tests
    // reach with the right credentials.
    const code = (e as { code?: unknown }).code
    if (code === 'EPIPE' || code === 'ECONNRESET') return true
    throw e
  }
}

const creds = (identity: string, bus: BusName) =>
  credsAuthenticator(readCreds(h.keysDir, identity, bus))

/** Resolves with the error the connection was closed with, or 'open' after `ms`. */
function closedWithin(nc: NatsConnection, ms: number): Promise<Error | void | 'open'> {
  return Promise.race([nc.closed(), new Promise<'open'>((r) => setTimeout(() => r('open'), ms))])
}

describe('expiry', () => {
  it('BUS-102 a component presenting expired credentials is refused at connect', async () => {
    const expired = await issueCreds(h.keysDir, h.topology, 'dreq', 'relay', {
      ttlSeconds: 60,
      now: () => Date.now() - 3_600_000,
    })
    expect(await refused(dial('dreq', credsAuthenticator(expired)))).toBe(true)
    // Control: the same identity with its current credentials gets in.
    expect(await refused(dial('dreq', creds('relay', 'dreq')))).toBe(false)
  })

  it('BUS-103 a live connection is cut by the server when its credentials expire', async () => {
    const shortLived = await issueCreds(h.keysDir, h.topology, 'cresp', 'relay', {
      ttlSeconds: 2,
    })
    const nc = await dial('cresp', credsAuthenticator(shortLived))
    const started = Date.now()
    expect(await closedWithin(nc, 500)).toBe('open')
    const closed = await closedWithin(nc, 5_000)
    expect(closed).toBeInstanceOf(errors.UserAuthenticationExpiredError)
    expect(Date.now() - started).toBeLessThan(4_000)
  })
})

describe('revocation', () => {
  it('BUS-104 a revoked identity is refused, and its open connection is cut at once', async () => {
    const stolen = readCreds(h.keysDir, 'response-validator', 'dresp')
    const live = await dial('dresp', credsAuthenticator(stolen), 'response-validator')
    expect(await closedWithin(live, 200)).toBe('open')

    const rotation = await h.rotate('response-validator')
    expect(rotation.buses).toEqual(['dresp', 'cresp'])

    const closed = await closedWithin(live, 2_000)
    expect(closed).not.toBe('open')
    expect(String(closed)).toMatch(/revoked/i)
    expect(await refused(dial('dresp', credsAuthenticator(stolen), 'response-validator'))).toBe(
      true,
    )
    // The identity's new credentials work; its old key is gone from them.
    const fresh = readCreds(h.keysDir, 'response-validator', 'dresp')
    const text = (b: Uint8Array) => new TextDecoder().decode(b)
    expect(parseUserCreds(text(fresh))!.seed).not.toBe(parseUserCreds(text(stolen))!.seed)
    expect(await refused(dial('dresp', credsAuthenticator(fresh), 'response-validator'))).toBe(
      false,
    )
  })
})

describe('credentials out of place', () => {
  it('BUS-105 credentials issued for one bus are refused by every other bus', async () => {
    const probes: Array<[string, Promise<boolean>]> = []
    for (const home of h.topology.buses) {
      for (const grant of home.grants.filter((g) => !g.websocketOnly)) {
        for (const other of h.topology.buses.filter((b) => b.name !== home.name)) {
          probes.push([
            `${grant.identity}@${home.name} -> ${other.name}`,
            refused(dial(other.name, creds(grant.identity, home.name), grant.identity)),
          ])
        }
      }
    }
    expect(probes.length).toBeGreaterThan(30)
    const accepted = (
      await Promise.all(probes.map(async ([l, p]) => ((await p) ? [] : [l])))
    ).flat()
    expect(accepted).toEqual([])
  }, 20_000)

  it('BUS-106 a user JWT signed by an account the operator never signed is refused everywhere', async () => {
    const user = createUser()
    const forged = await encodeUser('relay', user, createAccount(), {
      pub: { allow: ['>'] },
      sub: { allow: ['>'] },
    })
    const auth = credsAuthenticator(fmtCreds(forged, user))
    const results = await Promise.all(h.topology.buses.map((b) => refused(dial(b.name, auth))))
    expect(results.every(Boolean)).toBe(true)
  })

  it('BUS-107 a user JWT whose permissions were edited after signing is refused', async () => {
    const { jwt, seed } = parseUserCreds(
      new TextDecoder().decode(readCreds(h.keysDir, 'request-validator', 'creq')),
    )!
    const [head, body, sig] = jwt.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as {
      nats: { pub: { allow: string[] } }
    }
    claims.nats.pub.allow = ['>']
    const edited = `${head}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`
    const auth = jwtAuthenticator(edited, new TextEncoder().encode(seed))
    expect(await refused(dial('creq', auth, 'request-validator'))).toBe(true)
  })

  it('BUS-108 a stolen user JWT without its seed is refused: the nonce must be signed by its key', async () => {
    const { jwt } = parseUserCreds(new TextDecoder().decode(readCreds(h.keysDir, 'relay', 'dreq')))!
    expect(await refused(dial('dreq', jwtAuthenticator(jwt)))).toBe(true)
    expect(await refused(dial('dreq', jwtAuthenticator(jwt, createUser().getSeed())))).toBe(true)
  })
})

describe('rotation', () => {
  it('BUS-109 `portcullis keys rotate` replaces one key live: it reconnects, others stay up, no message is lost', async () => {
    const pids = Object.fromEntries(h.topology.buses.map((b) => [b.name, h.server(b.name)!.pid]))
    const before = readCreds(h.keysDir, 'relay', 'dreq')
    const relay = await h.connect('relay', 'dreq')
    const validator = await h.connect('request-validator', 'dreq')
    const backend = await h.connect('backend-demo', 'creq')
    const seen = { relay: [] as string[], validator: [] as string[], backend: [] as string[] }
    for (const [name, nc] of [
      ['relay', relay],
      ['validator', validator],
      ['backend', backend],
    ] as const) {
      void (async () => {
        for await (const s of nc.status()) seen[name].push(s.type)
      })()
    }

    // The relay publishes into DREQ as it does in production: a publish that fails is retried
    // with the same message id, which the stream's duplicate window makes harmless.
    const js = jetstream(relay)
    const subject = subjects.dirtyRequest('local', 'demo')
    const published: string[] = []
    let publishing = true
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        const id = `rotation-${i}`
        for (let attempt = 0; ; attempt++) {
          try {
            await js.publish(subject, id, {
              msgID: id,
              expect: { streamName: 'DREQ' },
              timeout: 1_000,
            })
            break
          } catch (e) {
            if (attempt > 50) throw e
            await new Promise((r) => setTimeout(r, 100))
          }
        }
        published.push(id)
        await new Promise((r) => setTimeout(r, 10))
      }
    })()

    const received = new Map<string, number>()
    let fetching = true
    const consumer = await jetstream(validator).consumers.get('DREQ', 'request-validator')
    let fetchError: unknown
    const fetcher = (async () => {
      while (fetching || received.size < published.length) {
        const batch = await consumer.fetch({ max_messages: 64, expires: 1_000 })
        try {
          for await (const m of batch) {
            received.set(m.string(), (received.get(m.string()) ?? 0) + 1)
            m.ack()
          }
        } catch (e) {
          // A pull whose heartbeats a loaded server sent late ends early; the next pull goes
          // on, as the stage loop's does (bus/stage.ts). Anything else fails the test.
          if (!(e instanceof Error && e.message === 'heartbeats missed')) throw e
        }
      }
    })().catch((e: unknown) => {
      fetchError = e
    })

    await new Promise((r) => setTimeout(r, 500))
    const countBefore = published.length
    const run = await promisify(execFile)(
      process.execPath,
      [
        join(REPO_ROOT, 'cli', 'portcullis.mjs'),
        'keys',
        'rotate',
        'relay',
        '--config',
        h.configFile,
      ],
      { cwd: REPO_ROOT, timeout: 60_000 },
    )
    expect(run.stdout).toContain('relay rotated')
    expect(run.stdout).toMatch(/nats-dreq\s+account updated/)
    expect(run.stdout).not.toMatch(/nats-creq/)

    // Traffic goes on after the rotation, over the relay's reconnected connection.
    const deadline = Date.now() + 10_000
    while (!seen.relay.includes('reconnect') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    const afterRotation = published.length
    while (published.length < afterRotation + 50 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    publishing = false
    await publisher
    fetching = false
    await Promise.race([fetcher, new Promise((r) => setTimeout(r, 10_000))])
    expect(fetchError).toBeUndefined()

    expect(countBefore).toBeGreaterThan(5)
    expect(published.length).toBeGreaterThanOrEqual(afterRotation + 50)
    // Every message published arrived, once.
    expect([...received.keys()].sort()).toEqual([...published].sort())
    expect([...received.values()].every((n) => n === 1)).toBe(true)

    // The rotated component was cut and came back; the others never noticed.
    expect(seen.relay).toContain('disconnect')
    expect(seen.relay).toContain('reconnect')
    expect(relay.isClosed()).toBe(false)
    for (const other of [seen.validator, seen.backend]) {
      expect(other).not.toContain('disconnect')
      expect(other).not.toContain('reconnect')
    }
    // No server was restarted.
    for (const b of h.topology.buses) {
      expect(h.server(b.name)?.pid).toBe(pids[b.name])
      expect(() => process.kill(pids[b.name]!, 0)).not.toThrow()
    }
    // The relay's old credentials are refused now; its new ones work on every bus.
    expect(await refused(dial('dreq', credsAuthenticator(before)))).toBe(true)
    for (const bus of ['link', 'dreq', 'cresp'] as const)
      expect(await refused(dial(bus, creds('relay', bus)))).toBe(false)
  }, 60_000)
})
