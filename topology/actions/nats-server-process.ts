/**
 * Runs one nats-server as a child process: started from its generated config, ready once a
 * client can connect, stopped with SIGTERM (SIGKILL if it lingers), and never outliving us.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect as tcpConnect } from 'node:net'
import { createInterface } from 'node:readline'
import { SetupError, type SetupErrorCode } from '../../core/index.js'
import { stopOnExit } from '../../runtime/children.js'

/** Debian installs it in /usr/sbin, which is not on every user's PATH. */
export const NATS_SERVER_BIN =
  process.env.PORTCULLIS_NATS_SERVER ??
  (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server')

const READY_TIMEOUT_MS = 10_000
const PROBE_INTERVAL_MS = 20
const STOP_GRACE_MS = 3_000
/** The line nats-server logs once every listener is up. */
const READY_MARK = '] Server is ready'
/** Log lines kept to explain a failed start. */
const TAIL_LINES = 8

/**
 * nats-server's environment: ours, with `GOMAXPROCS=1` unless it sets `GOMAXPROCS` already.
 * Several Go runtimes sharing a few cores spin less with one thread each (topology/README.md:
 * about 500 instead of 645-770 µs of CPU per request through five servers on two cores).
 */
export function natsServerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.GOMAXPROCS === undefined || env.GOMAXPROCS === '' ? { ...env, GOMAXPROCS: '1' } : env
}

export interface NatsServerProcess {
  pid: number
  stop(): Promise<void>
  /** Resolves once the server has exited, with its exit code or the signal that ended it. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface StartNatsServerOptions {
  name: string
  confPath: string
  port: number
  /** Where the probe connects; the topology host. */
  host?: string
  onLine?: (line: string) => void
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.setTimeout(500, () => done(false))
  })
}

export async function startNatsServer(opts: StartNatsServerOptions): Promise<NatsServerProcess> {
  const host = opts.host ?? '127.0.0.1'
  const child = spawn(NATS_SERVER_BIN, ['-c', opts.confPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: natsServerEnv(process.env),
  })

  let ended: string | undefined
  // Missing the binary is a missing dependency; anything else, a server that did not start.
  let failure: SetupErrorCode = 'BUS_START_FAILED'
  const exited = new Promise<void>((resolve) => {
    // 'close' comes after 'exit' once the pipes are drained, so the log tail is complete.
    child.once('close', (code, signal) => {
      ended ??= `exited (${signal ? `signal ${signal}` : `code ${code}`}) before it was ready`
      resolve()
    })
    // Only a failed spawn reports here without an 'exit' to follow.
    child.once('error', (e) => {
      if (child.pid !== undefined) return
      ended = `could not be started (${NATS_SERVER_BIN}: ${e.message})`
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') failure = 'DEPENDENCY_MISSING'
      resolve()
    })
  })
  if (child.pid !== undefined) stopOnExit(child)
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )

  const tail: string[] = []
  let announced = false
  const onLine = (line: string) => {
    if (line.endsWith(READY_MARK)) announced = true
    tail.push(line)
    if (tail.length > TAIL_LINES) tail.shift()
    opts.onLine?.(line)
  }
  // Always drain both pipes: a full pipe would block the server.
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine)
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine)

  const stop = async (): Promise<void> => {
    if (ended !== undefined) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(timer)
  }

  const fail = async (why: string): Promise<never> => {
    await stop()
    const log = tail.length ? `\n${tail.join('\n')}` : ''
    throw new SetupError(failure, `nats-server ${opts.name} ${why}${log}`, {
      ...(failure === 'BUS_START_FAILED' && { file: opts.confPath }),
    })
  }

  const deadline = Date.now() + READY_TIMEOUT_MS
  // Ready: our child logged that it serves and a client gets through. The connect alone
  // could reach someone else's listener on a reused port.
  while (!(announced && (await canConnect(host, opts.port)))) {
    if (ended !== undefined) return fail(ended)
    if (Date.now() > deadline) {
      // A starved event loop (the other servers' synchronous starts, a busy machine) runs
      // this timer before it reads the output that waited meanwhile: one last look after it.
      await new Promise((r) => setImmediate(r))
      if (announced && (await canConnect(host, opts.port))) break
      return fail(`was not ready on ${host}:${opts.port} within ${READY_TIMEOUT_MS / 1000} s`)
    }
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS))
  }
  if (ended !== undefined) return fail(ended)
  return { pid: child.pid!, stop, exit }
}
