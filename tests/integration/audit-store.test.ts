/**
 * The audit store on both back-ends, one suite: embedded PGlite and a real PostgreSQL this
 * file starts. Each test gets an empty store (a fresh database, or a copy of an empty PGlite
 * folder); tampering runs as a superuser with triggers bypassed, as an attacker with the
 * database's keys would.
 */
import { generateKeyPairSync } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEvent } from '../../core/index.js'
import {
  AuditStoreError,
  auditKeyIdOf,
  ensureAuditSigningKey,
  hashOfRow,
  migrateAuditDatabase,
  openAuditStore,
  signCheckpoint,
  verifyAudit,
  type AuditCheckpoint,
  type AuditSigningKey,
  type AuditStore,
  type OpenAuditStoreOptions,
} from '../../audit/store/index.js'
import { ROW_COLUMNS, rowOfRecord, type RowRecord } from '../../audit/store/rows.js'
import { startPostgres, type PostgresHarness } from '../harness/postgres.js'

type Backend = 'pglite' | 'postgres'

interface Place {
  databaseUrl?: string
  dataDir: string
  /** Runs SQL as a superuser with triggers off (`session_replication_role = replica`). */
  tamper(store: AuditStore, sql: string): Promise<void>
  /** The database's name on PostgreSQL. */
  database?: string
}

const BASE_TIME = Date.parse('2024-05-01T12:00:00.000Z')

function events(count: number, from = 1, prefix = 'evt'): AuditEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i
    return {
      id: `${prefix}-${n}`,
      time: new Date(BASE_TIME + n * 1000).toISOString(),
      requestId: `req-${Math.ceil(n / 2)}`,
      stage: n % 2 ? 'edge' : 'request-validator',
      component: n % 2 ? 'edge-local' : 'request-validator',
      verdict: n % 5 === 0 ? 'reject' : 'accept',
      ...(n % 5 === 0 && { code: 'BODY_SCHEMA_VIOLATION', reason: '/quantity must be >= 1' }),
      method: 'POST',
      host: 'demo',
      port: 443,
      path: '/orders',
      status: n % 5 === 0 ? 400 : 200,
      latencyMs: n / 10,
      actor: 'alice',
    }
  })
}

async function rowAt(store: AuditStore, seq: number) {
  const [record] = await store.database.query<RowRecord>(
    `SELECT ${ROW_COLUMNS} FROM audit_events WHERE seq = $1`,
    [seq],
  )
  return rowOfRecord(record!)
}

function codeOf(e: unknown): string | undefined {
  return (e as { code?: string }).code
}

describe.each<Backend>(['pglite', 'postgres'])('audit store on %s', (backend) => {
  let root: string
  let postgres: PostgresHarness | undefined
  let template: string | undefined
  let key: AuditSigningKey
  let places = 0
  const open: AuditStore[] = []

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), `portcullis-audit-${backend}-`))
    key = ensureAuditSigningKey(join(root, 'keys'))
    if (backend === 'postgres') {
      postgres = await startPostgres()
    } else {
      // initdb takes seconds in WebAssembly: do it once, copy the empty store per test.
      template = join(root, 'template')
      const store = await openAuditStore({
        dataDir: template,
        sink: 'audit-sink',
        signingKey: key,
        checkpoint: { everyEvents: 1000, everySeconds: 60 },
      })
      await store.close()
    }
  })

  afterAll(async () => {
    await Promise.allSettled(open.map((s) => s.close()))
    await postgres?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  async function place(): Promise<Place> {
    const n = ++places
    const dataDir = join(root, `place-${n}`)
    if (!postgres) {
      cpSync(join(template!, 'audit'), join(dataDir, 'audit'), { recursive: true })
      return {
        dataDir,
        tamper: (store, sql) =>
          store.database.exec(
            `SET session_replication_role = replica; ${sql}; SET session_replication_role = origin`,
          ),
      }
    }
    const database = `audit_${n}`
    const admin = new pg.Client({ connectionString: postgres.superuserUrl })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database} OWNER portcullis`)
    await admin.end()
    const superuserUrl = postgres.urlOf(database, 'postgres')
    return {
      databaseUrl: postgres.urlOf(database),
      dataDir,
      database,
      tamper: async (_store, sql) => {
        const client = new pg.Client({ connectionString: superuserUrl })
        await client.connect()
        try {
          await client.query(`SET session_replication_role = replica; ${sql}`)
        } finally {
          await client.end()
        }
      },
    }
  }

  async function storeAt(
    p: Place,
    options: Partial<OpenAuditStoreOptions> = {},
  ): Promise<AuditStore> {
    const store = await openAuditStore({
      ...(p.databaseUrl && { databaseUrl: p.databaseUrl }),
      dataDir: p.dataDir,
      sink: 'audit-sink',
      signingKey: key,
      checkpoint: { everyEvents: 1000, everySeconds: 60 },
      // A tampered store may fail its closing checkpoint: that is the test's point, not news.
      onError: () => undefined,
      ...options,
    })
    open.push(store)
    return store
  }

  async function freshStore(options: Partial<OpenAuditStoreOptions> = {}) {
    const p = await place()
    return { place: p, store: await storeAt(p, options) }
  }

  it('AUD-014 a redelivered batch is written once: the same events again write nothing', async () => {
    const { store } = await freshStore()
    const batch = events(10)
    expect(await store.append(batch)).toEqual({
      written: 10,
      skipped: 0,
      rejected: [],
      lastSeq: 10,
    })
    expect(await store.append(batch)).toEqual({ written: 0, skipped: 10, rejected: [] })
    const mixed = [...events(5, 6), ...events(5, 11), events(1, 15)[0]!]
    expect(await store.append(mixed)).toMatchObject({ written: 5, skipped: 6, lastSeq: 15 })
    const rows = await store.query({ since: '2024-01-01T00:00:00Z', limit: 100 })
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1))
    expect(rows.map((r) => r.id)).toEqual(events(15).map((e) => e.id))
    expect((await verifyAudit(store, key.publicKey)).ok).toBe(true)
  })

  it('AUD-015 events that cannot be stored unchanged are rejected, the rest of the batch is written', async () => {
    const { store } = await freshStore()
    const [a, b, c] = events(3)
    const result = await store.append([
      a!,
      { ...b!, reason: 'nul \u0000 inside' },
      { ...c!, path: '/\ud800' },
      { ...c!, id: 'evt-3b' },
    ])
    expect(result.written).toBe(2)
    expect(result.rejected.map((r) => [r.index, r.eventId])).toEqual([
      [1, 'evt-2'],
      [2, 'evt-3'],
    ])
    expect(result.rejected[0]!.problem).toContain('reason')
    expect((await verifyAudit(store, key.publicKey)).rows).toBe(2)
  })

  it('keeps every field as it came, and reads it back', async () => {
    const { store } = await freshStore()
    const event: AuditEvent = {
      ...events(1)[0]!,
      reason: 'quote " backslash \\ newline \n emoji 🙂 é',
      latencyMs: 0.1 + 0.2,
      bodyDigest: `sha256:${'f'.repeat(64)}`,
    }
    await store.append([event])
    const [stored] = await store.query({ requestId: event.requestId })
    expect(stored).toEqual({
      ...event,
      seq: 1,
      sink: 'audit-sink',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
    })
    expect((await verifyAudit(store, key.publicKey)).ok).toBe(true)
  })

  it('continues the chain across close and reopen', async () => {
    const { place: p, store } = await freshStore()
    await store.append(events(5))
    const head = await store.head()
    await store.close()
    const again = await storeAt(p)
    expect(await again.head()).toEqual(head)
    expect((await again.append(events(5, 6))).lastSeq).toBe(10)
    expect((await rowAt(again, 6)).prevHash).toBe(head.hash)
    const verified = await verifyAudit(again, key.publicKey)
    expect(verified).toMatchObject({ ok: true, rows: 10, checkpoints: 1 })
  })

  it('signs a checkpoint every N events or T seconds, whichever comes first', async () => {
    const seen: AuditCheckpoint[] = []
    const { store } = await freshStore({
      checkpoint: { everyEvents: 10, everySeconds: 1 },
      onCheckpoint: (c) => seen.push(c),
    })
    expect((await store.append(events(5))).checkpoint).toBeUndefined()
    const due = await store.append(events(5, 6))
    expect(due.checkpoint).toMatchObject({ seq: 10, keyId: key.keyId })
    expect(seen.map((c) => c.seq)).toEqual([10])
    expect((await store.append(events(3, 11))).checkpoint).toBeUndefined()
    const deadline = Date.now() + 5_000
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(seen.map((c) => c.seq)).toEqual([10, 13])
    expect(seen[1]!.headHash).toBe((await store.head()).hash)
    expect(await store.checkpoint()).toBeUndefined()
    await store.close()
    expect(seen).toHaveLength(2)
  })

  it('signs the head on close, and a checkpoint() on demand', async () => {
    const seen: AuditCheckpoint[] = []
    const { store } = await freshStore({ onCheckpoint: (c) => seen.push(c) })
    await store.append(events(3))
    expect(await store.checkpoint()).toMatchObject({ seq: 3 })
    await store.append(events(2, 4))
    await store.close()
    expect(seen.map((c) => c.seq)).toEqual([3, 5])
    await expect(store.append(events(1, 6))).rejects.toMatchObject({ code: 'AUDIT_STORE_CLOSED' })
  })

  it('keeps seq contiguous when appends overlap', async () => {
    const { place: p, store } = await freshStore()
    const other = backend === 'postgres' ? await storeAt(p) : store
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? other : store).append(events(50, 1 + i * 50))),
    )
    expect(await verifyAudit(store, key.publicKey)).toMatchObject({ ok: true, rows: 300 })
  })

  it('finds events by request id, time range and verdict', async () => {
    const { store } = await freshStore()
    await store.append(events(20))
    expect((await store.query({ requestId: 'req-3' })).map((e) => e.id)).toEqual(['evt-5', 'evt-6'])
    const range = await store.query({
      since: new Date(BASE_TIME + 4_000).toISOString(),
      until: new Date(BASE_TIME + 11_000).toISOString(),
    })
    expect(range.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8, 9, 10])
    const rejects = await store.query({ verdict: 'reject', limit: 3 })
    expect(rejects.map((e) => e.id)).toEqual(['evt-5', 'evt-10', 'evt-15'])
    expect(rejects[0]).toMatchObject({ code: 'BODY_SCHEMA_VIOLATION', status: 400 })
    for (const bad of [
      { limit: 0 },
      { since: 'yesterday' },
      { verdict: 'maybe' },
      { requestId: '' },
    ])
      await expect(store.query(bad as never)).rejects.toMatchObject({ code: 'AUDIT_QUERY_INVALID' })
  })

  it('applies each migration once', async () => {
    const { store } = await freshStore()
    expect(await migrateAuditDatabase(store.database)).toEqual({
      applied: [],
      version: backend === 'postgres' ? 2 : 1,
    })
  })

  it.runIf(backend === 'pglite')('lets one process at a time open the embedded store', async () => {
    const { place: p } = await freshStore()
    await expect(storeAt(p)).rejects.toMatchObject({ code: 'AUDIT_STORE_BUSY' })
  })

  describe('tampering', () => {
    it('AUD-001 an UPDATE of an audit row or checkpoint is refused by the trigger', async () => {
      const { store } = await freshStore()
      await store.append(events(3))
      await store.checkpoint()
      for (const sql of [
        `UPDATE audit_events SET reason = 'x' WHERE seq = 2`,
        `UPDATE audit_checkpoints SET head_hash = repeat('0', 64)`,
      ]) {
        const e = await store.database.query(sql).catch((x: unknown) => x)
        expect(codeOf(e)).toBe('PCA01')
        expect((e as Error).message).toMatch(/append-only: UPDATE refused/)
      }
    })

    it('AUD-002 a DELETE of an audit row or checkpoint is refused by the trigger', async () => {
      const { store } = await freshStore()
      await store.append(events(3))
      await store.checkpoint()
      for (const table of ['audit_events', 'audit_checkpoints']) {
        const e = await store.database.query(`DELETE FROM ${table}`).catch((x: unknown) => x)
        expect(codeOf(e)).toBe('PCA01')
        expect((e as Error).message).toMatch(/append-only: DELETE refused/)
      }
      expect((await store.head()).seq).toBe(3)
    })

    it('AUD-003 a TRUNCATE of the audit tables is refused by the statement trigger', async () => {
      const { store } = await freshStore()
      await store.append(events(3))
      for (const table of ['audit_events', 'audit_checkpoints']) {
        const e = await store.database.query(`TRUNCATE ${table}`).catch((x: unknown) => x)
        expect(codeOf(e)).toBe('PCA01')
        expect((e as Error).message).toMatch(/append-only: TRUNCATE refused/)
      }
      expect((await store.head()).seq).toBe(3)
    })

    it.runIf(backend === 'postgres')(
      'AUD-004 a login holding only portcullis_audit_writer can append, but not UPDATE, DELETE, TRUNCATE or disable the trigger',
      async () => {
        const { place: p, store } = await freshStore()
        await store.append(events(3))
        const login = `${p.database}_sink`
        await store.database.exec(
          `CREATE ROLE ${login} LOGIN PASSWORD 'sink-pw'; GRANT portcullis_audit_writer TO ${login}`,
        )
        const url = `postgresql://${login}:sink-pw@127.0.0.1:${postgres!.port}/${p.database}`
        const client = new pg.Client({ connectionString: url })
        await client.connect()
        try {
          for (const sql of [
            `UPDATE audit_events SET reason = 'x'`,
            `DELETE FROM audit_events`,
            `TRUNCATE audit_events`,
            `UPDATE audit_checkpoints SET head_hash = repeat('0', 64)`,
            `DELETE FROM audit_checkpoints`,
            `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
            `SET session_replication_role = replica`,
            `DROP TABLE audit_events`,
          ]) {
            const e = await client.query(sql).catch((x: unknown) => x)
            expect(codeOf(e), sql).toBe('42501')
          }
        } finally {
          await client.end()
        }
        const writer = await storeAt({ ...p, databaseUrl: url })
        expect((await writer.append(events(3, 4))).lastSeq).toBe(6)
        await writer.close()
        expect(await verifyAudit(store, key.publicKey)).toMatchObject({ ok: true, rows: 6 })
      },
    )

    it('AUD-005 a row edited by a superuser with the trigger bypassed is named by verify', async () => {
      const { place: p, store } = await freshStore()
      await store.append(events(10))
      await p.tamper(store, `UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 5`)
      expect((await verifyAudit(store, key.publicKey)).problem).toMatchObject({
        seq: 5,
        eventId: 'evt-5',
        kind: 'edited',
      })
    })

    it('AUD-006 a row edited and its hash recomputed is named by verify through the next row', async () => {
      const { place: p, store } = await freshStore()
      await store.append(events(10))
      const row = { ...(await rowAt(store, 5)), verdict: 'accept', code: null }
      await p.tamper(
        store,
        `UPDATE audit_events SET verdict = 'accept', code = NULL, hash = '${hashOfRow(row)}' WHERE seq = 5`,
      )
      const { problem } = await verifyAudit(store, key.publicKey)
      expect(problem).toMatchObject({ seq: 5, eventId: 'evt-5', kind: 'edited' })
      expect(problem!.detail).toMatch(/hash recomputed/)
    })

    it('AUD-007 a deleted row is named by verify', async () => {
      const { place: p, store } = await freshStore()
      await store.append(events(10))
      await p.tamper(store, `DELETE FROM audit_events WHERE seq = 5`)
      const verified = await verifyAudit(store, key.publicKey)
      expect(verified).toMatchObject({ ok: false, rows: 4 })
      expect(verified.problem).toMatchObject({ seq: 5, kind: 'deleted' })
    })

    it('AUD-008 a swapped pair of rows is named by verify as reordered', async () => {
      const { place: p, store } = await freshStore()
      await store.append(events(10))
      await p.tamper(
        store,
        `UPDATE audit_events SET seq = 1000 WHERE seq = 5;
         UPDATE audit_events SET seq = 5 WHERE seq = 6;
         UPDATE audit_events SET seq = 6 WHERE seq = 1000`,
      )
      const { problem } = await verifyAudit(store, key.publicKey)
      expect(problem).toMatchObject({ seq: 5, eventId: 'evt-6', kind: 'reordered' })
      expect(problem!.detail).toMatch(/evt-5.*row 6/)
    })

    it('AUD-009 a cut-off tail is found by the checkpoint that covered it', async () => {
      const { place: p, store } = await freshStore({
        checkpoint: { everyEvents: 10, everySeconds: 60 },
      })
      await store.append(events(10))
      await p.tamper(store, `DELETE FROM audit_events WHERE seq >= 8`)
      const verified = await verifyAudit(store, key.publicKey)
      expect(verified).toMatchObject({ ok: false, rows: 7 })
      expect(verified.problem).toMatchObject({ seq: 8, kind: 'truncated' })
    })

    it('AUD-010 an edited checkpoint is named by verify', async () => {
      const { place: p, store } = await freshStore({
        checkpoint: { everyEvents: 5, everySeconds: 60 },
      })
      await store.append(events(5))
      await store.append(events(5, 6))
      const head6 = (await rowAt(store, 6)).hash
      // Point the checkpoint of row 10 at row 6 instead: a shorter chain, hash and all.
      await p.tamper(
        store,
        `UPDATE audit_checkpoints SET seq = 6, head_hash = '${head6}' WHERE seq = 10`,
      )
      const { problem } = await verifyAudit(store, key.publicKey)
      expect(problem).toMatchObject({ seq: 6, kind: 'bad-checkpoint' })
      expect(problem!.detail).toMatch(/signature does not match/)
    })

    it('AUD-011 a checkpoint forged with another key is named by verify', async () => {
      const { store } = await freshStore()
      await store.append(events(4))
      const other = generateKeyPairSync('ed25519')
      const head = await store.head()
      for (const [seq, keyId] of [
        [4, auditKeyIdOf(other.publicKey)],
        [3, key.keyId],
      ] as const) {
        const forged = signCheckpoint(
          {
            seq,
            headHash: seq === 4 ? head.hash : (await rowAt(store, 3)).hash,
            time: '2024-05-01T12:00:00.000000Z',
          },
          other.privateKey,
          keyId,
        )
        await store.database.query(
          'INSERT INTO audit_checkpoints (seq, head_hash, time, key_id, signature) VALUES ($1, $2, $3, $4, $5)',
          [forged.seq, forged.headHash, forged.time, forged.keyId, forged.signature],
        )
      }
      const { problem } = await verifyAudit(store, key.publicKey)
      expect(problem).toMatchObject({ seq: 3, kind: 'bad-checkpoint' })
    })

    it('AUD-012 a chain rewritten and rehashed from one row on is caught by the next checkpoint', async () => {
      const { place: p, store } = await freshStore({
        checkpoint: { everyEvents: 5, everySeconds: 60 },
      })
      for (let i = 0; i < 3; i++) await store.append(events(5, 1 + i * 5))
      // An attacker who knows the encoding rewrites row 7 and rehashes every row after it.
      let prev = (await rowAt(store, 6)).hash
      const updates: string[] = []
      for (let seq = 7; seq <= 15; seq++) {
        const row = { ...(await rowAt(store, seq)), prevHash: prev }
        if (seq === 7) row.actor = 'mallory'
        const hash = hashOfRow(row)
        updates.push(
          `UPDATE audit_events SET actor = '${row.actor}', prev_hash = '${prev}', hash = '${hash}' WHERE seq = ${seq}`,
        )
        prev = hash
      }
      await p.tamper(store, updates.join(';\n'))
      const verified = await verifyAudit(store, key.publicKey)
      expect(verified.problem).toMatchObject({ seq: 6, kind: 'edited' })
      expect(verified.problem!.detail).toMatch(/rows 6 to 10 were rewritten/)
    })

    it('AUD-013 rows deleted with the rest renumbered over the gap are named by verify', async () => {
      const { place: p, store } = await freshStore()
      await store.append(events(10))
      const renumber = Array.from(
        { length: 5 },
        (_, i) => `UPDATE audit_events SET seq = ${5 + i} WHERE seq = ${6 + i}`,
      )
      await p.tamper(store, [`DELETE FROM audit_events WHERE seq = 5`, ...renumber].join(';\n'))
      const { problem } = await verifyAudit(store, key.publicKey)
      expect(problem).toMatchObject({ seq: 5, kind: 'deleted' })
      expect(problem!.detail).toMatch(/renumbered/)
    })
  })

  it('verifies a long chain page by page', async () => {
    const { store } = await freshStore({ checkpoint: { everyEvents: 700, everySeconds: 60 } })
    for (let i = 0; i < 5; i++) await store.append(events(1000, 1 + i * 1000))
    const verified = await verifyAudit(store, key.publicKey, { pageRows: 333 })
    expect(verified).toMatchObject({ ok: true, rows: 5000, checkpoints: 5 })
    expect(verified.head!.seq).toBe(5000)
  })

  it('refuses to open without a usable signing key or sink name', async () => {
    const p = await place()
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
    await expect(storeAt(p, { signingKey: { privateKey: rsa } })).rejects.toBeInstanceOf(
      AuditStoreError,
    )
    await expect(storeAt(p, { sink: 'two words' })).rejects.toMatchObject({
      code: 'AUDIT_OPTIONS_INVALID',
    })
  })
})
