/**
 * The audit store's write rate: `append` in a loop, one batch size at a time, into a real
 * PostgreSQL (a throwaway cluster, fsync on) and into embedded PGlite, each in a temp
 * folder. Events per second and the p50 and p99 time per batch; then how fast `verify`
 * walks what was written. Events are built before the clock starts; checking, hashing and
 * the insert are measured.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AuditEvent } from '../core/index.js'
import {
  ensureAuditSigningKey,
  openAuditStore,
  verifyAudit,
  type AuditBackend,
} from '../audit/store/index.js'
import { postgresBinDir, startPostgres } from '../tests/harness/postgres.js'

export const AUDIT_BATCH_SIZES = [100, 500, 2000] as const

export interface AuditAppendResult {
  backend: AuditBackend
  batchSize: number
  events: number
  eventsPerSecond: number
  p50BatchMs: number
  p99BatchMs: number
}

export interface AuditVerifyResult {
  backend: AuditBackend
  rows: number
  rowsPerSecond: number
}

export interface AuditBenchResult {
  append: AuditAppendResult[]
  verify: AuditVerifyResult[]
  /** Why a back-end was not measured. */
  skipped: string[]
}

let counter = 0
function event(): AuditEvent {
  const n = ++counter
  return {
    id: `bench-${process.pid}-${n}`,
    time: new Date().toISOString(),
    requestId: `req${Math.floor(n / 5)}`,
    stage: 'request-validator',
    component: 'request-validator',
    verdict: n % 10 ? 'accept' : 'reject',
    ...(n % 10 ? {} : { code: 'BODY_SCHEMA_VIOLATION', reason: '/quantity must be >= 1' }),
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    status: n % 10 ? 200 : 400,
    latencyMs: 0.42,
    actor: 'alice',
    bodyDigest: `sha256:${'0123456789abcdef'.repeat(4)}`,
  }
}

const percentile = (sorted: number[], p: number) =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) / 100

async function measure(
  backend: AuditBackend,
  databaseUrl: string | undefined,
  dir: string,
  seconds: number,
): Promise<{ append: AuditAppendResult[]; verify: AuditVerifyResult }> {
  const signingKey = ensureAuditSigningKey(join(dir, 'keys'))
  const store = await openAuditStore({
    ...(databaseUrl && { databaseUrl }),
    dataDir: join(dir, 'data'),
    sink: 'bench',
    signingKey,
    checkpoint: { everyEvents: 1000, everySeconds: 60 },
  })
  const append: AuditAppendResult[] = []
  try {
    await store.append(Array.from({ length: 2000 }, event)) // warm-up: JIT, caches
    for (const batchSize of AUDIT_BATCH_SIZES) {
      const times: number[] = []
      let events = 0
      const until = performance.now() + seconds * 1000
      while (performance.now() < until) {
        const batch = Array.from({ length: batchSize }, event)
        const t0 = performance.now()
        events += (await store.append(batch)).written
        times.push(performance.now() - t0)
      }
      const busy = times.reduce((a, b) => a + b, 0) / 1000
      times.sort((a, b) => a - b)
      append.push({
        backend,
        batchSize,
        events,
        eventsPerSecond: Math.round(events / busy),
        p50BatchMs: percentile(times, 0.5),
        p99BatchMs: percentile(times, 0.99),
      })
    }
    const t0 = performance.now()
    const verified = await verifyAudit(store, signingKey.publicKey)
    if (!verified.ok) {
      throw new Error(`unreachable: verify failed: ${JSON.stringify(verified.problem)}`)
    }
    const rowsPerSecond = Math.round(verified.rows / ((performance.now() - t0) / 1000))
    return { append, verify: { backend, rows: verified.rows, rowsPerSecond } }
  } finally {
    await store.close()
  }
}

export async function benchAuditStore(seconds: number): Promise<AuditBenchResult> {
  const result: AuditBenchResult = { append: [], verify: [], skipped: [] }
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-audit-'))
  try {
    if (postgresBinDir()) {
      const postgres = await startPostgres({ durable: true })
      try {
        const r = await measure('postgres', postgres.url, join(dir, 'postgres'), seconds)
        result.append.push(...r.append)
        result.verify.push(r.verify)
      } finally {
        await postgres.stop()
      }
    } else {
      result.skipped.push('postgres: not installed (apt-get install postgresql)')
    }
    const r = await measure('pglite', undefined, join(dir, 'pglite'), seconds)
    result.append.push(...r.append)
    result.verify.push(r.verify)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return result
}

export function printAuditBench(r: AuditBenchResult, log: (line: string) => void): void {
  const line = (cells: Array<string | number>) =>
    cells.map((c, i) => (i === 0 ? String(c).padEnd(22) : String(c).padStart(10))).join(' ')
  log('')
  log(line(['audit store append', 'batch', 'events/s', 'p50 ms', 'p99 ms']))
  for (const a of r.append)
    log(line([a.backend, a.batchSize, a.eventsPerSecond, a.p50BatchMs, a.p99BatchMs]))
  for (const v of r.verify)
    log(line([`${v.backend} verify`, '', `${v.rowsPerSecond} rows/s`, `${v.rows} rows`, '']))
  for (const s of r.skipped) log(`skipped ${s}`)
  log('')
}
