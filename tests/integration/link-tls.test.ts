/**
 * TLS on the link: the link nats-server's WebSocket listener serves wss:// only, with a
 * certificate from a CA made for this test, and the edge under `wrangler dev` trusts that CA
 * (`link.tls.caFile`) and no other. One wrangler dev for every case; the link server is
 * restarted with a certificate of another CA for the last one.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import type { NatsConnection, Subscription } from '@nats-io/nats-core'
import {
  answerLinkRequests,
  linkWebsocketUrl,
  startBuses,
  type BusHarness,
} from '../harness/buses.js'
import { makeAuthority, makeServerCertificate, type ServerCertificate } from '../harness/tls.js'
import { linkUrlOf, startWranglerDev, type WranglerDev } from '../harness/wrangler.js'

const DEADLINE_MS = 3_000

let certs: string
/** The files the link server is configured with; a case swaps their content. */
let active: ServerCertificate
let trustedCa: string
let rogue: ServerCertificate
/** Signed by the trusted CA, for a name the edge does not dial. */
let otherName: ServerCertificate
let rogueCa: string
let buses: BusHarness
let edge: WranglerDev
let relay: NatsConnection
let serving: Subscription

/**
 * The first thing the link's listener says to a WebSocket client from Node that trusts `ca`:
 * nats-server's `INFO`. A raw socket, not nats.js: its WebSocket transport would replace the
 * process-wide transport the relay's connection reconnects with.
 */
function greeting(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new NodeWebSocket(url, { ca: readFileSync(ca), handshakeTimeout: 3_000 })
    socket.once('message', (data: Buffer) => {
      resolve(data.toString('utf8'))
      socket.terminate()
    })
    socket.once('error', (e) => {
      reject(e)
      socket.terminate()
    })
    socket.once('close', () => reject(new Error('closed before the server spoke')))
  })
}

/** Waits (5 s at most) until the relay's connection is back on the restarted link server. */
async function relayBack(): Promise<void> {
  const until = Date.now() + 5_000
  for (;;) {
    try {
      return await relay.flush()
    } catch (e) {
      if (Date.now() > until) throw e
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

/** Restarts the link server with `cert`'s files in place of its own; the relay reconnects. */
async function serveLinkWith(cert: ServerCertificate): Promise<void> {
  await buses.stopServer('link')
  copyFileSync(cert.certFile, active.certFile)
  copyFileSync(cert.keyFile, active.keyFile)
  await buses.startServer('link')
  await relayBack()
}

/**
 * A request through the edge, which must answer 503 BUS_UNAVAILABLE within its deadline
 * (plus the trip through wrangler); returns what wrangler and workerd logged meanwhile.
 */
async function refusedByEdge(): Promise<string> {
  const mark = edge.logs.length
  const started = Date.now()
  const res = await fetch(`${edge.url}/demo/orders`, { signal: AbortSignal.timeout(10_000) })
  expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 2_000)
  expect(res.status).toBe(503)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  expect(await res.json()).toMatchObject({ code: 'BUS_UNAVAILABLE' })
  return edge.logs.slice(mark).join('\n')
}

beforeAll(async () => {
  certs = mkdtempSync(join(tmpdir(), 'portcullis-link-tls-'))
  const ca = makeAuthority(certs, 'trusted-ca')
  const other = makeAuthority(certs, 'rogue-ca')
  active = makeServerCertificate(certs, 'link', ca)
  rogue = makeServerCertificate(certs, 'rogue-link', other)
  otherName = makeServerCertificate(certs, 'other-name', ca, ['link.example.com'])
  trustedCa = ca.certFile
  rogueCa = other.certFile
  buses = await startBuses({
    edge: { deadlineMs: DEADLINE_MS },
    link: { tls: { ...active, caFile: ca.certFile } },
  })
  edge = await startWranglerDev({
    dir: buses.dir,
    config: buses.config,
    keysDir: buses.keysDir,
    port: buses.config.edge.port,
  })
  relay = await buses.connect('relay', 'link')
  serving = answerLinkRequests(relay, (path) => new TextEncoder().encode(JSON.stringify({ path })))
  await relay.flush()
}, 90_000)

afterAll(async () => {
  await serving?.drain()
  await edge?.stop()
  await buses?.stop()
  if (certs) rmSync(certs, { recursive: true, force: true })
})

describe('TLS on the link', () => {
  it('WSS-001 the edge reaches the link only over wss:// with the certificate its CA signed, and a request goes through', async () => {
    const url = linkWebsocketUrl(buses)
    expect(url).toBe(`wss://127.0.0.1:${buses.config.bus.ports.linkWebsocket}`)
    expect(linkUrlOf(buses.config)).toBe(url)
    const conf = readFileSync(join(buses.config.paths.data, 'nats', 'link.conf'), 'utf8')
    expect(conf).toContain(`  tls {\n    cert_file: "${active.certFile}"`)
    expect(conf).not.toContain('no_tls')

    const res = await fetch(`${edge.url}/demo/orders`, { signal: AbortSignal.timeout(10_000) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ path: '/orders' })
  })

  it('WSS-002 a plain ws:// client gets no NATS session from the TLS listener', async () => {
    // The control: the same client over wss:// is greeted.
    expect(await greeting(linkWebsocketUrl(buses), trustedCa)).toMatch(/^INFO \{/)
    const plain = linkWebsocketUrl(buses).replace('wss://', 'ws://')
    await expect(greeting(plain, trustedCa)).rejects.toThrow()
  })

  it('WSS-003 a link impostor whose certificate another CA signed gets no request: the edge answers 503, not a hang', async () => {
    await serveLinkWith(rogue)
    // The impostor serves wss:// to a client that trusts its CA, and the relay is back on it:
    // only the edge's trust stands between the edge and it.
    expect(await greeting(linkWebsocketUrl(buses), rogueCa)).toMatch(/^INFO \{/)
    await expect(greeting(linkWebsocketUrl(buses), trustedCa)).rejects.toThrow(/certificate/)
    expect(await refusedByEdge()).toContain(
      "TLS peer's certificate is not trusted; reason = unable to get local issuer certificate",
    )
  })

  it('WSS-004 a certificate of the trusted CA that does not name the address the edge dials is refused as well', async () => {
    await serveLinkWith(otherName)
    // The edge dials 127.0.0.1: workerd checks the certificate's IP address names against it.
    expect(await refusedByEdge()).toContain(
      "TLS peer's certificate is not trusted; reason = IP address mismatch",
    )
  })
})
