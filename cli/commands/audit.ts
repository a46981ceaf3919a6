/**
 * `portcullis audit verify | show | migrate`: the operator's view of the audit trail, on
 * PostgreSQL when a database URL is configured (`audit.databaseUrl` or
 * `PORTCULLIS_AUDIT_DATABASE_URL`), else the embedded store under `paths.data`.
 *
 *   verify   re-walks the chain and the checkpoints; exit 0 when every row fits, 1 naming
 *            the first that does not
 *   show     events by request id, or by time range and verdict; `--json` for scripts
 *   migrate  applies the schema (run it with the tables' owner; the sink's login may be
 *            the INSERT-only writer role then)
 *
 * Bad arguments exit 2 with the usage. The embedded store serves one process: with the sink
 * running on it, `show` and `verify` read through the sink's read-only socket
 * (`<paths.data>/audit.sock`, `audit/sink/reader-server.ts`) with the same output;
 * `migrate` is refused until the sink stops (or use PostgreSQL).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../config/index.js'
import { AUDIT_VERDICTS, SetupError, type AuditVerdict } from '../../core/index.js'
import {
  AuditStoreError,
  EMBEDDED_SOCKET,
  auditKeyPaths,
  migrateAuditDatabase,
  openAuditDatabase,
  openAuditReader,
  queryAudit,
  readAuditPublicKey,
  resolveAuditDatabaseUrl,
  verifyAudit,
  type AuditDatabase,
  type AuditQuery,
  type RemoteAuditReader,
  type StoredAuditEvent,
} from '../../audit/store/index.js'
import { configFile } from '../args.js'

const USAGE = `usage: portcullis audit verify [--public-key file] [--config file]
       portcullis audit show --request <id> [--limit n] [--json] [--config file]
       portcullis audit show [--since <iso>] [--until <iso>] [--verdict accept|reject|error] [--limit n] [--json] [--config file]
       portcullis audit migrate [--config file]
`

interface Io {
  out: { write(text: string): unknown }
  err: { write(text: string): unknown }
}

/** Flags each subcommand takes; `true` for those that take a value. */
const FLAGS: Record<string, Record<string, boolean>> = {
  verify: { config: true, 'public-key': true },
  show: {
    config: true,
    request: true,
    since: true,
    until: true,
    verdict: true,
    limit: true,
    json: false,
  },
  migrate: { config: true },
}

/** Bad arguments (ARGUMENT_INVALID): the usage is printed, exit 2. */
class UsageError extends SetupError {
  constructor(message: string) {
    super('ARGUMENT_INVALID', message)
    this.name = 'UsageError'
  }
}

function parseFlags(sub: string, args: string[]): Map<string, string | true> {
  const allowed = FLAGS[sub]!
  const out = new Map<string, string | true>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const name = arg.startsWith('--') ? arg.slice(2) : undefined
    if (name === undefined || !Object.hasOwn(allowed, name))
      throw new UsageError(`unknown argument ${printable(arg)}`)
    if (out.has(name)) throw new UsageError(`--${name} is given twice`)
    if (!allowed[name]) {
      out.set(name, true)
      continue
    }
    const value = args[++i]
    if (value === undefined || value.startsWith('--'))
      throw new UsageError(`--${name} needs a value`)
    out.set(name, value)
  }
  return out
}

/** Control characters escaped: a stored value can never forge a line or drive the terminal. */
function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

function queryOf(flags: Map<string, string | true>): AuditQuery {
  const text = (name: string) => flags.get(name) as string | undefined
  const q: AuditQuery = {}
  const request = text('request')
  if (request !== undefined) q.requestId = request
  for (const key of ['since', 'until'] as const) {
    const value = text(key)
    if (value === undefined) continue
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value)))
      throw new UsageError(`--${key} is not an ISO 8601 time (2024-05-01T12:00:00Z)`)
    q[key] = value
  }
  const verdict = text('verdict')
  if (verdict !== undefined) {
    if (!AUDIT_VERDICTS.includes(verdict as AuditVerdict))
      throw new UsageError(`--verdict must be one of ${AUDIT_VERDICTS.join(', ')}`)
    q.verdict = verdict as AuditVerdict
  }
  const limit = text('limit')
  if (limit !== undefined) {
    if (!/^\d{1,5}$/.test(limit) || Number(limit) < 1 || Number(limit) > 10_000)
      throw new UsageError('--limit must be a whole number from 1 to 10000')
    q.limit = Number(limit)
  }
  if (q.requestId === undefined && !q.since && !q.until && !q.verdict)
    throw new UsageError('show needs --request, or at least one of --since, --until, --verdict')
  if (q.since && q.until && Date.parse(q.since as string) >= Date.parse(q.until as string))
    throw new UsageError('--since must be before --until')
  return q
}

function line(e: StoredAuditEvent): string {
  const parts = [
    `#${e.seq}`,
    e.time,
    e.requestId,
    e.stage,
    e.component,
    e.code ? `${e.verdict} ${e.code}` : e.verdict,
  ]
  if (e.method) parts.push(e.method)
  if (e.host) parts.push(`${e.host}${e.port !== undefined ? `:${e.port}` : ''}${e.path ?? ''}`)
  if (e.status !== undefined) parts.push(String(e.status))
  if (e.latencyMs !== undefined) parts.push(`${e.latencyMs}ms`)
  if (e.actor) parts.push(`actor=${e.actor}`)
  if (e.reason) parts.push(`reason=${JSON.stringify(e.reason)}`)
  return printable(parts.join(' '))
}

export async function audit(
  args: string[],
  io: Io = { out: process.stdout, err: process.stderr },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined || !Object.hasOwn(FLAGS, sub)) {
    if (sub !== undefined && sub !== 'help' && sub !== '--help')
      io.err.write(`portcullis audit: unknown subcommand ${printable(sub)}\n`)
    io.err.write(USAGE)
    return sub === 'help' || sub === '--help' ? 0 : 2
  }
  let flags: Map<string, string | true>
  let query: AuditQuery | undefined
  try {
    flags = parseFlags(sub, rest)
    if (sub === 'show') query = queryOf(flags)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.err.write(`portcullis audit ${sub}: ${e.message}\n${USAGE}`)
    return 2
  }

  const config = loadConfig(configFile(rest))
  let db: AuditDatabase | undefined
  let remote: RemoteAuditReader | undefined
  try {
    const publicKey =
      sub === 'verify'
        ? readAuditPublicKey(
            (flags.get('public-key') as string | undefined) ??
              auditKeyPaths(config.paths.keys).publicKey,
          )
        : undefined
    const databaseUrl = resolveAuditDatabaseUrl(config, env)
    try {
      db = await openAuditDatabase({
        ...(databaseUrl && { databaseUrl }),
        dataDir: config.paths.data,
        create: sub === 'migrate',
      })
    } catch (e) {
      // The sink holds the embedded store: read through its socket instead.
      const busy = e instanceof AuditStoreError && e.code === 'AUDIT_STORE_BUSY'
      if (!busy || sub === 'migrate' || !existsSync(join(config.paths.data, EMBEDDED_SOCKET)))
        throw e
      remote = openAuditReader(config.paths.data)
    }
    const location = remote?.location ?? db!.location
    if (sub === 'migrate') {
      const report = await migrateAuditDatabase(db!)
      for (const m of report.applied) io.out.write(`applied ${m.version} ${m.name}\n`)
      io.out.write(`audit schema at version ${report.version} on ${location}\n`)
      return 0
    }
    if (sub === 'show') {
      const events = remote ? await remote.query(query!) : await queryAudit(db!, query!)
      if (flags.has('json')) io.out.write(`${JSON.stringify(events, null, 2)}\n`)
      else for (const e of events) io.out.write(`${line(e)}\n`)
      if (!flags.has('json') && events.length === 0) io.err.write('no matching events\n')
      return 0
    }
    const result = remote ? await remote.verify(publicKey!) : await verifyAudit(db!, publicKey!)
    if (result.ok) {
      const head = result.head ? `, head row ${result.head.seq} ${result.head.hash}` : ''
      io.out.write(
        `audit trail verified: ${result.rows} rows, ${result.checkpoints} checkpoints${head} (${location})\n`,
      )
      return 0
    }
    const p = result.problem!
    io.out.write(
      printable(
        `audit trail broken at row ${p.seq}: ${p.kind}${p.eventId ? ` (event ${p.eventId})` : ''}: ${p.detail}`,
      ) + '\n',
    )
    io.out.write(`checked ${result.rows} rows and ${result.checkpoints} checkpoints before it\n`)
    return 1
  } catch (e) {
    if (!(e instanceof AuditStoreError) && !(e instanceof Error && 'severity' in e)) throw e
    // A database error (`severity` is set by pg and PGlite) names a table or role, no secret.
    const location = remote?.location ?? db?.location
    const where = location ? ` (${location})` : ''
    io.err.write(`portcullis audit ${sub}: ${printable(e.message)}${where}\n`)
    return 1
  } finally {
    await db?.close()
  }
}
