/**
 * The sink's reader socket on a real embedded store, held open the way the running sink
 * holds it: `portcullis audit show | verify` read through it, with the answers a local read
 * gives; it refuses writes and bad input.
 */
import type { KeyObject } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEvent } from '../../core/index.js'
import { runAudit, writeAuditConfig } from '../../tests/harness/audit-cli.js'
import {
  auditKeyPaths,
  ensureAuditSigningKey,
  openAuditDatabase,
  openAuditReader,
  openAuditStore,
  readAuditPublicKey,
  verifyAudit,
  verifyAuditTrail,
  type AuditStore,
} from '../store/index.js'
import { startAuditReaderServer, type AuditReaderServer } from './reader-server.js'

function events(from: number, to: number): AuditEvent[] {
  return Array.from({ length: to - from + 1 }, (_, i) => {
    const n = from + i
    return {
      id: `evt-${n}`,
      time: new Date(Date.parse('2024-05-01T12:00:00Z') + n * 1000).toISOString(),
      requestId: `req-${Math.ceil(n / 2)}`,
      stage: 'request-validator' as const,
      component: 'request-validator',
      verdict: n % 5 === 0 ? ('reject' as const) : ('accept' as const),
      method: 'POST',
      host: 'demo',
      port: 443,
      path: '/orders',
      status: n % 5 === 0 ? 400 : 200,
      latencyMs: 1.5,
    }
  })
}

function http(socketPath: string, method: string, path: string, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request({ socketPath, method, path, agent: false }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }))
      })
      req.on('error', reject)
      req.end(body)
    },
  )
}

describe('the audit sink reader socket', () => {
  let root: string
  let config: string
  let dataDir: string
  let store: AuditStore
  let server: AuditReaderServer
  let publicKey: KeyObject

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pc-reader-'))
    config = writeAuditConfig(root)
    dataDir = join(root, 'data')
    const keysDir = join(root, 'keys')
    store = await openAuditStore({
      dataDir,
      sink: 'audit-sink',
      signingKey: ensureAuditSigningKey(keysDir),
      checkpoint: { everyEvents: 10, everySeconds: 3600 },
    })
    publicKey = readAuditPublicKey(auditKeyPaths(keysDir).publicKey)
    await store.append(events(1, 10))
    await store.append(events(11, 20))
    server = await startAuditReaderServer(store, dataDir)
  }, 60_000)

  afterAll(async () => {
    await server?.close()
    await store?.close()
    rmSync(root, { recursive: true, force: true })
  }, 60_000)

  it('AUD-501 show and verify read through the running sink, which holds the embedded store, with the answers a local read gives', async () => {
    await expect(openAuditDatabase({ dataDir, create: false })).rejects.toMatchObject({
      code: 'AUDIT_STORE_BUSY',
    })
    const verified = await runAudit(['verify', '--config', config])
    expect(verified).toMatchObject({ code: 0, err: '' })
    expect(verified.out).toMatch(
      /^audit trail verified: 20 rows, 2 checkpoints, head row 20 [0-9a-f]{64} \(.*audit \(read through the running audit sink\)\)\n$/,
    )
    const remote = openAuditReader(dataDir)
    const local = await verifyAudit(store, publicKey)
    expect(await remote.verify(publicKey)).toEqual(local)
    expect(await remote.verify(publicKey, { pageRows: 3 })).toEqual(local)

    const shown = await runAudit(['show', '--request', 'req-3', '--config', config])
    expect(shown.code).toBe(0)
    expect(shown.out.trim().split('\n')).toEqual([
      expect.stringMatching(/^#5 2024-05-01T12:00:05.000Z req-3 request-validator .* reject /),
      expect.stringMatching(/^#6 .* accept POST demo:443\/orders 200 1.5ms$/),
    ])
    const json = await runAudit([
      'show',
      '--verdict',
      'reject',
      '--limit',
      '3',
      '--json',
      '--config',
      config,
    ])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.out)).toEqual(await store.query({ verdict: 'reject', limit: 3 }))
  })

  it('a walk bounded by the head it read: rows and checkpoints appended meanwhile are no false truncation', async () => {
    const remote = openAuditReader(dataDir)
    const head = await remote.head()
    expect(head).toMatchObject({ seq: 20, checkpointSeq: 20 })
    const appended = await store.append(events(21, 30))
    expect(appended.checkpoint?.seq).toBe(30)
    const result = await verifyAuditTrail(remote.trail(head), publicKey)
    expect(result).toMatchObject({ ok: true, rows: 20, checkpoints: 2, head: { seq: 20 } })
  })

  it('AUD-502 the reader socket is mode 0600: only the sink user can connect', () => {
    const stat = statSync(server.path)
    expect(stat.isSocket()).toBe(true)
    expect(stat.mode & 0o777).toBe(0o600)
    expect(server.path).toBe(join(dataDir, 'audit.sock'))
  })

  it('AUD-503 the reader socket refuses writes: POST, PUT, PATCH, DELETE are 405 and nothing changes', async () => {
    const before = await store.head()
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of ['/rows', '/events', '/head']) {
        const r = await http(server.path, method, path, '{"id":"forged"}')
        expect(r.status).toBe(405)
        expect(r.headers.allow).toBe('GET')
        expect(JSON.parse(r.body)).toMatchObject({ status: 405, code: 'AUDIT_READ_METHOD' })
      }
    }
    expect(await store.head()).toEqual(before)
  })

  it.each([
    '/rows?after=abc',
    '/rows?after=-1',
    '/rows?after=1%3B%20DELETE%20FROM%20audit_events',
    '/rows?limit=0',
    '/rows?limit=5001',
    '/rows?after=1&after=2',
    '/checkpoints?upTo=1e3',
    '/checkpoints?seq=1',
    '/head?after=1',
    '/events?frob=1',
    '/events?verdict=maybe',
    '/events?since=yesterday',
    '/events?limit=10001',
    '/events?requestId=',
  ])('AUD-504 a bad query string is 400 AUDIT_READ_INVALID, never a query: %s', async (path) => {
    const r = await http(server.path, 'GET', path)
    expect(r.status).toBe(400)
    expect(r.headers['content-type']).toBe('application/problem+json')
    expect(JSON.parse(r.body)).toMatchObject({ status: 400, code: 'AUDIT_READ_INVALID' })
  })

  it('an unknown path is 404', async () => {
    const r = await http(server.path, 'GET', '/audit_events')
    expect(r.status).toBe(404)
    expect(JSON.parse(r.body)).toMatchObject({ status: 404, code: 'AUDIT_READ_NOT_FOUND' })
  })

  /** What the test's store has been through, hidden from its trigger the way a superuser would. */
  const tamper = (sql: string) =>
    store.database.exec(
      `SET session_replication_role = replica; ${sql}; SET session_replication_role = origin`,
    )

  it('AUD-505 a tail cut off under a signed checkpoint is named as truncated through the socket, though the walk is bounded by the head', async () => {
    await tamper('DELETE FROM audit_events WHERE seq > 25')
    const local = await verifyAudit(store, publicKey)
    expect(local.problem).toMatchObject({ seq: 26, kind: 'truncated' })
    expect(await openAuditReader(dataDir).verify(publicKey)).toEqual(local)
    const r = await runAudit(['verify', '--config', config])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/^audit trail broken at row 26: truncated: .* covers 30 rows/)
  })

  it('AUD-506 a row edited in place is named through the socket exactly as a local verify names it', async () => {
    await tamper(`UPDATE audit_events SET reason = 'nothing happened' WHERE seq = 5`)
    const local = await verifyAudit(store, publicKey)
    expect(local.problem).toMatchObject({ seq: 5, kind: 'edited', eventId: 'evt-5' })
    expect(await openAuditReader(dataDir).verify(publicKey)).toEqual(local)
    expect(await openAuditReader(dataDir).verify(publicKey, { pageRows: 2 })).toEqual(local)
    const r = await runAudit(['verify', '--config', config])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/^audit trail broken at row 5: edited \(event evt-5\): /)
    expect(r.out).toContain('checked 4 rows and 0 checkpoints before it')
  })

  it('without the socket the CLI says the store is busy, as before; migrate never reads through it', async () => {
    const migrate = await runAudit(['migrate', '--config', config])
    expect(migrate.code).toBe(1)
    expect(migrate.err).toMatch(/is open in process \d+ \(the audit sink\?\)/)
    await server.close()
    const r = await runAudit(['verify', '--config', config])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/is open in process \d+ \(the audit sink\?\)/)
  })
})
