/**
 * A three-node bus on real nats-servers (`bus.nodes: 3`; single-nats, so one cluster carries
 * every bus's account): the route listeners admit the cluster's route secret and nothing
 * else, no client port admits the route credential, every stream and consumer is R3, and a
 * stream stays writable and readable while the node leading it is killed with SIGKILL.
 */
import { chmodSync, readdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { connect as tcpConnect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors, wsconnect, type NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import { fromSeed } from '@nats-io/nkeys'
import { parseUserCreds, subjects } from '../../core/index.js'
import {
  ADMIN,
  busesOf,
  clusterNameOf,
  ensureRouteSecrets,
  natsServersOf,
  readCreds,
  readRouteSecret,
  routeSecretPath,
  type NatsServerSpec,
} from '../../topology/index.js'
import { startBuses, type BusHarness } from '../harness/buses.js'

let h: BusHarness
let nodes: NatsServerSpec[]
const open: NatsConnection[] = []

beforeAll(async () => {
  h = await startBuses({ topology: 'single-nats', bus: { nodes: 3 } })
  nodes = natsServersOf(h.topology)
}, 60_000)

afterAll(async () => {
  await Promise.allSettled(open.map((nc) => nc.close()))
  await h?.stop()
}, 30_000)

/**
 * Speaks the wire protocol to `port` by hand: reads the server's INFO, sends the CONNECT that
 * `connectOf` builds from it and a PING, and returns what came back: `PONG` when the server
 * admitted the connection, `-ERR 'Authorization Violation'` when it refused it.
 */
function handshake(port: number, connectOf: (info: { nonce?: string }) => object): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: h.topology.host, port })
    let text = ''
    let sent = false
    const done = () => {
      socket.destroy()
      // The server may PING first; what matters is the refusal or the PONG to our PING.
      const answer = text.slice(text.indexOf('\r\n') + 2).replaceAll('PING\r\n', '')
      resolve(answer)
    }
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8')
      const end = text.indexOf('\r\n')
      if (!sent && end > 0) {
        sent = true
        const info = JSON.parse(text.slice('INFO '.length, end)) as { nonce?: string }
        socket.write(`CONNECT ${JSON.stringify(connectOf(info))}\r\nPING\r\n`)
      }
      if (sent && /PONG|-ERR/.test(text.slice(end))) done()
    })
    socket.on('error', done)
    socket.on('close', done)
    socket.setTimeout(5_000, done)
  })
}

const REFUSED = "-ERR 'Authorization Violation'"
const HANDSHAKES_AT_ONCE = 8
const route = (pass?: string) => ({
  ...(pass === undefined ? {} : { user: 'route', pass }),
  verbose: false,
  pedantic: false,
  name: 'probe',
  cluster: clusterNameOf('nats'),
  headers: true,
})

/** The CONNECT a client identity sends with its creds for `bus`: its JWT and the signed nonce. */
function clientConnect(identity: string, bus: Parameters<typeof readCreds>[2]) {
  const creds = parseUserCreds(Buffer.from(readCreds(h.keysDir, identity, bus)).toString('utf8'))!
  const key = fromSeed(new TextEncoder().encode(creds.seed))
  return (info: { nonce?: string }) => ({
    jwt: creds.jwt,
    sig: Buffer.from(key.sign(new TextEncoder().encode(info.nonce ?? ''))).toString('base64url'),
    verbose: false,
    pedantic: false,
    name: `probe:${identity}`,
    cluster: clusterNameOf('nats'),
    headers: true,
  })
}

describe('route security', () => {
  it('CLUS-001 no client identity can speak the route protocol: every credential of every identity is refused on every route port', async () => {
    const tries: Array<() => Promise<string>> = []
    const labels: string[] = []
    for (const identity of h.topology.identities) {
      for (const bus of busesOf(h.topology, identity.id)) {
        for (const node of nodes) {
          labels.push(`${identity.id}(${bus.name})@${node.name}`)
          tries.push(() => handshake(node.cluster!.port, clientConnect(identity.id, bus.name)))
        }
      }
    }
    // A few at a time: a route port gives a handshake 2 s, and on busy cores a hundred at once
    // can outlast it ("Authentication Timeout": no verdict on the credential at all).
    const answers: string[] = []
    for (let i = 0; i < tries.length; i += HANDSHAKES_AT_ONCE) {
      answers.push(...(await Promise.all(tries.slice(i, i + HANDSHAKES_AT_ONCE).map((t) => t()))))
    }
    expect(labels.length).toBeGreaterThan(20)
    expect(
      answers.flatMap((a, i) => (a.startsWith(REFUSED) ? [] : [`${labels[i]}: ${a}`])),
    ).toEqual([])
    // And a real client, dialing the cluster port with its creds, is turned away too.
    const relay = parseUserCreds(Buffer.from(readCreds(h.keysDir, 'relay', 'dreq')).toString())!
    const dial = connect({
      servers: `nats://${h.topology.host}:${nodes[0]!.cluster!.port}`,
      authenticator: (nonce) => {
        const key = fromSeed(new TextEncoder().encode(relay.seed))
        const sig = key.sign(new TextEncoder().encode(nonce ?? ''))
        return { jwt: relay.jwt, sig: Buffer.from(sig).toString('base64url') }
      },
      maxReconnectAttempts: 0,
      reconnect: false,
      timeout: 5_000,
    })
    await expect(dial).rejects.toBeInstanceOf(errors.AuthorizationError)
  })

  it('CLUS-002 a route connection without the cluster route secret is refused (none, a wrong one, a client password), and the secret itself is admitted', async () => {
    const secret = readRouteSecret(h.keysDir, 'nats')
    const wrong = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`
    for (const node of nodes) {
      const port = node.cluster!.port
      expect(await handshake(port, () => route())).toMatch(/^-ERR 'Authorization Violation'/)
      expect(await handshake(port, () => route(wrong))).toMatch(/^-ERR 'Authorization Violation'/)
      expect(await handshake(port, () => ({ ...route(secret), user: 'relay' }))).toMatch(
        /^-ERR 'Authorization Violation'/,
      )
      // The control: the route secret opens the route port, so the refusals above are real.
      expect(await handshake(port, () => route(secret))).toMatch(/^PONG/)
    }
  })

  it('CLUS-003 the route credential opens no client port and no WebSocket listener', async () => {
    const secret = readRouteSecret(h.keysDir, 'nats')
    for (const node of nodes) {
      expect(await handshake(node.port, () => ({ ...route(secret), protocol: 1 }))).toMatch(
        /^-ERR 'Authorization Violation'/,
      )
      const dial = connect({
        servers: `nats://${h.topology.host}:${node.port}`,
        user: 'route',
        pass: secret,
        maxReconnectAttempts: 0,
        reconnect: false,
      })
      await expect(dial).rejects.toBeInstanceOf(errors.AuthorizationError)
      if (node.websocketPort === undefined) continue
      const ws = await import('ws')
      const viaWs = wsconnect({
        servers: `ws://${h.topology.host}:${node.websocketPort}`,
        user: 'route',
        pass: secret,
        maxReconnectAttempts: 0,
        reconnect: false,
        wsFactory: async (url) => ({
          socket: new ws.WebSocket(url) as unknown as WebSocket,
          encrypted: false,
        }),
      })
      await expect(viaWs).rejects.toBeInstanceOf(errors.AuthorizationError)
    }
  })

  it('CLUS-004 route secrets are made once per cluster, 0600 in a 0700 folder, kept across runs, and a file others can read is refused', () => {
    const path = routeSecretPath(h.keysDir, 'nats')
    expect(readdirSync(dirname(path))).toEqual(['nats.secret'])
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700)
    const before = readRouteSecret(h.keysDir, 'nats')
    ensureRouteSecrets(h.keysDir, h.topology)
    expect(readRouteSecret(h.keysDir, 'nats')).toBe(before)
    chmodSync(path, 0o644)
    try {
      expect(() => readRouteSecret(h.keysDir, 'nats')).toThrow(/readable by others/)
    } finally {
      chmodSync(path, 0o600)
    }
  })
})

describe('replicated streams', () => {
  const adminOn = async (bus: Parameters<BusHarness['connect']>[1]): Promise<JetStreamManager> => {
    const nc = await h.connect(ADMIN, bus)
    open.push(nc)
    return jetstreamManager(nc)
  }

  it('every stream and consumer of every bus keeps three copies, one on each node', async () => {
    for (const stream of h.topology.streams) {
      const jsm = await adminOn(stream.bus)
      const info = await jsm.streams.info(stream.name)
      expect(info.config.num_replicas, `${stream.bus}/${stream.name}`).toBe(3)
      expect(info.cluster?.name).toBe(clusterNameOf('nats'))
      const copies = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)]
      expect(copies.sort()).toEqual(nodes.map((n) => `portcullis-${n.name.replace('.', '-')}`))
      for (const consumer of stream.consumers) {
        const c = await jsm.consumers.info(stream.name, consumer.name)
        expect(c.config.num_replicas, `${stream.name}/${consumer.name}`).toBe(3)
      }
    }
  })

  it('a stream stays writable and readable after the node leading it is killed (-9), and the node catches up when it is back', async () => {
    const jsm = await adminOn('dreq')
    await jsm.streams.purge('DREQ')
    const relay = jetstream(await h.connect('relay', 'dreq'))
    const validator = jetstream(await h.connect('request-validator', 'dreq'))
    const subject = subjects.dirtyRequest('local', 'demo')
    const body = new TextEncoder().encode('{"probe":true}')
    await relay.publish(subject, body, { msgID: 'clus-before' })

    const leader = (await jsm.streams.info('DREQ')).cluster!.leader!
    const victim = nodes.find((n) => `portcullis-${n.name.replace('.', '-')}` === leader)!
    expect(victim).toBeDefined()
    await h.killNode(victim.name)
    const killedAt = performance.now()

    // Until a new leader is elected a publish may time out: the client retries with the
    // same message id, so a publish that did land once is not stored twice.
    const deadline = killedAt + 30_000
    const retry = async <T>(step: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await step()
        } catch (e) {
          if (performance.now() > deadline) throw e
          await new Promise((r) => setTimeout(r, 200))
        }
      }
    }
    const ack = await retry(() =>
      relay.publish(subject, body, { msgID: 'clus-after', timeout: 2_000 }),
    )
    expect(ack.duplicate).toBe(false)
    const writableAfterMs = Math.round(performance.now() - killedAt)

    const consumer = await retry(() => validator.consumers.get('DREQ', 'request-validator'))
    const seen: string[] = []
    while (seen.length < 2) {
      const msg = await retry(() => consumer.next({ expires: 2_000 }))
      if (!msg) continue
      seen.push(msg.headers?.get('Nats-Msg-Id') ?? '')
      await retry(() => msg.ackAck())
    }
    expect(seen).toEqual(['clus-before', 'clus-after'])
    // Both acknowledged: the work queue drops them on every copy.
    const info = await retry(async () => {
      const now = await jsm.streams.info('DREQ')
      if (now.state.messages !== 0) throw new Error(`DREQ holds ${now.state.messages}`)
      return now
    })
    expect(info.cluster?.leader).not.toBe(leader)
    console.log(
      `cluster: DREQ writable again ${writableAfterMs} ms after its leader ${victim.name} was killed`,
    )

    // Back: the node rejoins and its copy of the stream is current again.
    await h.startNode(victim.name)
    await retry(async () => {
      const now = await jsm.streams.info('DREQ')
      const replicas = now.cluster?.replicas ?? []
      if (replicas.length !== 2 || !replicas.every((r) => r.current && !r.offline)) {
        throw new Error(`DREQ replicas not current yet: ${JSON.stringify(replicas)}`)
      }
    })
  })
})
