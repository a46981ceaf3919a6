/**
 * Stoplight's Prism mock server (`@stoplight/prism-cli`) serving an OpenAPI document on a free
 * loopback port: an upstream nobody here wrote, answering from the document's examples. Each
 * request it received is kept (method and path, from its log), so a test can prove what never
 * reached it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { freePort } from '../../runtime/index.js'

export interface PrismUpstream {
  url: string
  /** `GET /pets/1`, one entry per request Prism received, in order. */
  received: string[]
  /** Every line Prism printed (for a failing test's message). */
  lines: string[]
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 30_000
// `[HTTP SERVER] get /pet/1 ℹ  info      Request received`
const RECEIVED = /\[HTTP SERVER\]\s+(\w+)\s+(\S+)\s+.*Request received/

function prismBin(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('@stoplight/prism-cli/package.json')), 'dist', 'index.js')
}

export async function startPrism(document: string): Promise<PrismUpstream> {
  const port = await freePort()
  const child: ChildProcess = spawn(
    process.execPath,
    [prismBin(), 'mock', document, '--host', '127.0.0.1', '--port', String(port), '--cors=false'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
  )
  const lines: string[] = []
  const received: string[] = []
  let ready: () => void
  const listening = new Promise<void>((resolve) => (ready = resolve))
  const onData = (chunk: Buffer) => {
    for (const raw of chunk.toString('utf8').split('\n')) {
      const line = raw.replace(/\x1b\[[0-9;]*m/g, '').trim()
      if (!line) continue
      lines.push(line)
      if (line.includes('Prism is listening')) ready()
      const m = RECEIVED.exec(line)
      if (m) received.push(`${m[1]!.toUpperCase()} ${m[2]}`)
    }
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))])
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      listening,
      exited.then(() => {
        throw new Error(`prism exited before it listened:\n${lines.join('\n')}`)
      }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`prism did not listen:\n${lines.join('\n')}`)),
          START_TIMEOUT_MS,
        )
      }),
    ])
  } catch (e) {
    await stop()
    throw e
  } finally {
    clearTimeout(timer)
  }
  return { url: `http://127.0.0.1:${port}`, received, lines, stop }
}
