/**
 * A real PostgreSQL for tests: Debian's server binaries (`initdb`, `postgres`) on a fresh
 * cluster in a temp dir, listening on 127.0.0.1 and a free port, its unix sockets in the same
 * dir. As root it runs as the `postgres` system user (initdb refuses root); otherwise as the
 * current user. `stop()` ends it and removes the dir; a process exit kills it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import pg from 'pg'
import { stopOnExit } from '../../runtime/children.js'
import { freePort } from './ports.js'

export interface PostgresHarness {
  /** The owner of database `portcullis`: a login with CREATEROLE, not a superuser. */
  url: string
  /** The cluster's superuser `postgres`, on the same database. */
  superuserUrl: string
  /** The same server, another database: `urlOf('other', 'postgres')`. */
  urlOf(database: string, user?: 'owner' | 'postgres'): string
  port: number
  dir: string
  stop(): Promise<void>
}

export interface StartPostgresOptions {
  /**
   * Keep fsync and synchronous commit on (the server's defaults), for measurements. Tests
   * turn both off: nothing they write has to survive a power cut, and it is much faster.
   */
  durable?: boolean
}

const READY_TIMEOUT_MS = 20_000
const STOP_GRACE_MS = 5_000
const TAIL_LINES = 12
/** Names of the owner login and its database. */
export const OWNER = 'portcullis'

/** `PORTCULLIS_POSTGRES_BIN`, else the newest of Debian's /usr/lib/postgresql/<n>/bin. */
export function postgresBinDir(): string | undefined {
  const override = process.env.PORTCULLIS_POSTGRES_BIN
  if (override) return override
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? join(root, versions[0], 'bin') : undefined
}

/** The `postgres` system user's uid and gid, from /etc/passwd. */
function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  const [, , uid, gid] = line?.split(':') ?? []
  if (uid === undefined || gid === undefined) {
    throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as')
  }
  return { uid: Number(uid), gid: Number(gid) }
}

/** SIGQUIT is PostgreSQL's immediate shutdown: the postmaster ends its backends, then itself. */
function stopAtExit(child: ChildProcess, dir: string): void {
  stopOnExit(child, () => {
    child.kill('SIGQUIT')
    rmSync(dir, { recursive: true, force: true })
  })
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresHarness> {
  const bin = postgresBinDir()
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)')
  const asRoot = process.getuid?.() === 0
  const user = asRoot ? postgresUser() : undefined
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pg-'))
  chmodSync(dir, 0o700)
  const superPassword = randomBytes(18).toString('base64url')
  const ownerPassword = randomBytes(18).toString('base64url')
  const pwfile = join(dir, 'pwfile')
  writeFileSync(pwfile, superPassword + '\n', { mode: 0o600 })
  if (user) {
    chownSync(dir, user.uid, user.gid)
    chownSync(pwfile, user.uid, user.gid)
  }
  const ids = user ? { uid: user.uid, gid: user.gid } : {}
  const data = join(dir, 'data')
  let child: ChildProcess | undefined
  let stopped = false

  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()))
      // SIGINT is the fast shutdown: open sessions are cut, not waited for.
      child.kill('SIGINT')
      const timers = [
        setTimeout(() => child!.kill('SIGQUIT'), STOP_GRACE_MS),
        setTimeout(() => child!.kill('SIGKILL'), 2 * STOP_GRACE_MS),
      ]
      await exited
      timers.forEach(clearTimeout)
    }
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    const init = spawnSync(
      join(bin, 'initdb'),
      [
        '-D',
        data,
        '-U',
        'postgres',
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--no-locale',
        '--no-sync',
      ],
      { cwd: dir, encoding: 'utf8', timeout: READY_TIMEOUT_MS, ...ids },
    )
    if (init.status !== 0) {
      throw new Error(
        `initdb failed (${init.status ?? init.signal}): ${init.stderr || init.stdout}`,
      )
    }
    const port = await freePort()
    const settings = [
      `listen_addresses=127.0.0.1`,
      `port=${port}`,
      `unix_socket_directories=${dir}`,
      'max_connections=40',
      'shared_buffers=32MB',
      ...(options.durable ? [] : ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off']),
    ]
    child = spawn(join(bin, 'postgres'), ['-D', data, ...settings.flatMap((s) => ['-c', s])], {
      cwd: dir,
      // Not detached: a Ctrl-C or a test runner killing its process group reaches it too.
      stdio: ['ignore', 'pipe', 'pipe'],
      ...ids,
    })
    if (child.pid !== undefined) stopAtExit(child, dir)
    const tail: string[] = []
    let ready = false
    let ended: string | undefined
    child.once('exit', (code, signal) => {
      ended = `exited (${signal ?? code})`
    })
    child.once('error', (e) => {
      ended = `could not be started: ${e.message}`
    })
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (line.includes('database system is ready to accept connections')) ready = true
        tail.push(line)
        if (tail.length > TAIL_LINES) tail.shift()
        if (process.env.PORTCULLIS_TEST_POSTGRES_LOG) process.stderr.write(`postgres | ${line}\n`)
      })
    }
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (!ready) {
      if (ended) throw new Error(`postgres ${ended}\n${tail.join('\n')}`)
      if (Date.now() > deadline) throw new Error(`postgres was not ready\n${tail.join('\n')}`)
      await new Promise((r) => setTimeout(r, 25))
    }

    const urlOf = (database: string, who: 'owner' | 'postgres' = 'owner') =>
      who === 'owner'
        ? `postgresql://${OWNER}:${ownerPassword}@127.0.0.1:${port}/${database}`
        : `postgresql://postgres:${superPassword}@127.0.0.1:${port}/${database}`
    const admin = new pg.Client({ connectionString: urlOf('postgres', 'postgres') })
    await admin.connect()
    try {
      await admin.query(`CREATE ROLE ${OWNER} LOGIN CREATEROLE PASSWORD '${ownerPassword}'`)
      await admin.query(`CREATE DATABASE ${OWNER} OWNER ${OWNER}`)
    } finally {
      await admin.end()
    }
    return {
      url: urlOf(OWNER),
      superuserUrl: urlOf(OWNER, 'postgres'),
      urlOf,
      port,
      dir,
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}
