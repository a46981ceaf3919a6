/**
 * `portcullis audit verify | show`: exit codes and output, on an embedded store written by
 * the audit store itself, on a tampered copy of it, and on PostgreSQL named by
 * `PORTCULLIS_AUDIT_DATABASE_URL`.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEvent } from '../../core/index.js'
import {
  ensureAuditSigningKey,
  openAuditDatabase,
  openAuditStore,
} from '../../audit/store/index.js'
import { runAudit, writeAuditConfig } from '../harness/audit-cli.js'
import { startPostgres, type PostgresHarness } from '../harness/postgres.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

function events(count: number): AuditEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `evt-${i + 1}`,
    time: new Date(Date.parse('2024-05-01T12:00:00Z') + (i + 1) * 1000).toISOString(),
    requestId: `req-${Math.ceil((i + 1) / 2)}`,
    stage: 'request-validator' as const,
    component: 'request-validator',
    verdict: (i + 1) % 5 === 0 ? ('reject' as const) : ('accept' as const),
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    status: (i + 1) % 5 === 0 ? 400 : 200,
    latencyMs: 1.5,
  }))
}

describe('portcullis audit', () => {
  let root: string
  let clean: string
  let tampered: string
  let empty: string
  let postgres: PostgresHarness | undefined

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'portcullis-audit-cli-'))
    clean = writeAuditConfig(join(root, 'clean'))
    const keysDir = join(root, 'clean', 'keys')
    const store = await openAuditStore({
      dataDir: join(root, 'clean', 'data'),
      sink: 'audit-sink',
      signingKey: ensureAuditSigningKey(keysDir),
      checkpoint: { everyEvents: 10, everySeconds: 60 },
    })
    await store.append(events(20))
    await store.append([
      {
        ...events(1)[0]!,
        id: 'evt-escape',
        requestId: 'req-escape',
        reason: 'line one\nforged line\u001b[2J\u0007',
      },
    ])
    await store.close()

    tampered = writeAuditConfig(join(root, 'tampered'))
    cpSync(join(root, 'clean', 'keys'), join(root, 'tampered', 'keys'), { recursive: true })
    cpSync(join(root, 'clean', 'data'), join(root, 'tampered', 'data'), { recursive: true })
    const db = await openAuditDatabase({ dataDir: join(root, 'tampered', 'data') })
    await db.exec(
      `SET session_replication_role = replica;
       UPDATE audit_events SET status = 200, verdict = 'accept' WHERE seq = 5;
       SET session_replication_role = origin`,
    )
    await db.close()

    empty = writeAuditConfig(join(root, 'empty'))
    cpSync(join(root, 'clean', 'keys'), join(root, 'empty', 'keys'), { recursive: true })
  })

  afterAll(async () => {
    await postgres?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  it('verify checks every row and checkpoint and exits 0', async () => {
    const r = await runAudit(['verify', '--config', clean])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(
      /^audit trail verified: 21 rows, 2 checkpoints, head row 21 [0-9a-f]{64} /,
    )
  })

  it('AUD-019 verify exits 1 and names the first row that does not fit', async () => {
    const r = await runAudit(['verify', '--config', tampered])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/^audit trail broken at row 5: edited \(event evt-5\): /)
    expect(r.out).toContain('checked 4 rows and 0 checkpoints before it')
  })

  it('verify against another public key fails on the first checkpoint', async () => {
    const other = join(root, 'other-keys')
    ensureAuditSigningKey(other)
    const r = await runAudit([
      'verify',
      '--config',
      clean,
      '--public-key',
      join(other, 'audit', 'checkpoint.pub'),
    ])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/broken at row 20: bad-checkpoint/)
  })

  it('show finds a request, a time range, a verdict; --json for scripts', async () => {
    const byRequest = await runAudit(['show', '--request', 'req-3', '--config', clean])
    expect(byRequest.code).toBe(0)
    expect(byRequest.out.trim().split('\n')).toEqual([
      expect.stringMatching(/^#5 2024-05-01T12:00:05.000Z req-3 request-validator .* reject /),
      expect.stringMatching(
        /^#6 2024-05-01T12:00:06.000Z req-3 .* accept POST demo:443\/orders 200 1.5ms$/,
      ),
    ])
    const json = await runAudit([
      'show',
      '--since',
      '2024-05-01T12:00:03Z',
      '--until',
      '2024-05-01T12:00:16Z',
      '--verdict',
      'reject',
      '--limit',
      '2',
      '--json',
      '--config',
      clean,
    ])
    expect(json.code).toBe(0)
    const rows = JSON.parse(json.out) as Array<{ id: string; seq: number }>
    expect(rows.map((r) => r.id)).toEqual(['evt-5', 'evt-10'])
    const none = await runAudit(['show', '--request', 'nobody', '--config', clean])
    expect(none).toMatchObject({ code: 0, out: '', err: 'no matching events\n' })
  })

  it('AUD-020 show escapes control characters in stored values: no forged line, no terminal codes', async () => {
    const r = await runAudit(['show', '--request', 'req-escape', '--config', clean])
    expect(r.code).toBe(0)
    expect(r.out.split('\n')).toHaveLength(2)
    expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/)
    expect(r.out).toContain('\\u001b[2J')
  })

  it.each([
    [[], /usage: portcullis audit verify/],
    [['frob'], /unknown subcommand frob/],
    [['show', '--config', 'x'], /show needs --request/],
    [['show', '--since', 'yesterday'], /--since is not an ISO 8601 time/],
    [['show', '--since', '2024-05-02', '--until', '2024-05-01'], /--since must be before/],
    [['show', '--verdict', 'maybe'], /--verdict must be one of accept, reject, error/],
    [['show', '--request', 'r', '--limit', '0'], /--limit must be a whole number/],
    [['show', '--request'], /--request needs a value/],
    [['show', '--request', 'a', '--request', 'b'], /given twice/],
    [['verify', '--json'], /unknown argument --json/],
    [['verify', 'extra'], /unknown argument extra/],
  ])('bad arguments %j exit 2 with a clear message', async (args, message) => {
    const r = await runAudit(args)
    expect(r.code).toBe(2)
    expect(r.err).toMatch(message)
    expect(r.out).toBe('')
  })

  it('exits 1 with a clear message when there is no store to read', async () => {
    const r = await runAudit(['verify', '--config', empty])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/no audit store at .*audit \(the audit sink creates it/)
  })

  it('reads PostgreSQL named by PORTCULLIS_AUDIT_DATABASE_URL, never printing its password', async () => {
    postgres = await startPostgres()
    const dir = join(root, 'pg')
    const config = writeAuditConfig(dir)
    const store = await openAuditStore({
      databaseUrl: postgres.url,
      dataDir: join(dir, 'data'),
      sink: 'audit-sink',
      signingKey: ensureAuditSigningKey(join(dir, 'keys')),
      checkpoint: { everyEvents: 1000, everySeconds: 60 },
    })
    await store.append(events(5))
    await store.close()
    const env = { PORTCULLIS_AUDIT_DATABASE_URL: postgres.url }
    const r = await runAudit(['verify', '--config', config], env)
    expect(r.code).toBe(0)
    expect(r.out).toMatch(
      /verified: 5 rows, 1 checkpoints.*\(postgresql:\/\/portcullis:\*\*\*@127\.0\.0\.1/,
    )
    expect(r.out).not.toContain(new URL(postgres.url).password)
    const migrate = await runAudit(['migrate', '--config', config], env)
    expect(migrate).toMatchObject({ code: 0 })
    expect(migrate.out).toMatch(/audit schema at version 2/)
  })

  it('is wired into the portcullis command', () => {
    const cli = join(REPO_ROOT, 'cli', 'portcullis.mjs')
    const ok = spawnSync(process.execPath, [cli, 'audit', 'verify', '--config', clean], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(ok.status).toBe(0)
    expect(ok.stdout).toMatch(/audit trail verified: 21 rows/)
    const broken = spawnSync(process.execPath, [cli, 'audit', 'verify', '--config', tampered], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(broken.status).toBe(1)
    expect(broken.stdout).toMatch(/broken at row 5/)
  })
})
