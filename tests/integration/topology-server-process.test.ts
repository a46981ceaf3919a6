/**
 * startNatsServer against the real binary: ready means connectable, failures name the
 * server and show its last log lines, stop() leaves no process, and neither does exiting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect as tcpConnect, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNatsServer } from '../../topology/index.js'
import { freePort } from '../harness/ports.js'
import { REPO_ROOT } from '../harness/buses.js'

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-nats-proc-'))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function conf(name: string, text: string): string {
  const path = join(dir, `${name}.conf`)
  writeFileSync(path, text)
  return path
}

/** Running, not merely an unreaped zombie (some container inits never reap orphans). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return true
  }
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port })
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

describe('startNatsServer', () => {
  it('resolves once clients can connect, and stop() ends the process', async () => {
    const port = await freePort()
    const lines: string[] = []
    const server = await startNatsServer({
      name: 'plain',
      confPath: conf('plain', `listen: "127.0.0.1:${port}"\n`),
      port,
      onLine: (l) => lines.push(l),
    })
    expect(await reachable(port)).toBe(true)
    expect(lines.some((l) => l.includes('Server is ready'))).toBe(true)
    await server.stop()
    expect(alive(server.pid)).toBe(false)
    await server.stop()
  }, 15_000)

  it('rejects naming the server and quoting its log when the config is broken', async () => {
    const port = await freePort()
    await expect(
      startNatsServer({ name: 'broken-one', confPath: conf('broken', 'listen: {{{\n'), port }),
    ).rejects.toThrow(
      /nats-server broken-one exited \(code \d+\) before it was ready[\s\S]*Parse error/,
    )
  }, 15_000)

  it('rejects when its port is taken by someone else instead of trusting their listener', async () => {
    const other: Server = createServer()
    const port = await new Promise<number>((r) =>
      other.listen(0, '127.0.0.1', () => r((other.address() as { port: number }).port)),
    )
    try {
      await expect(
        startNatsServer({
          name: 'clash',
          confPath: conf('clash', `listen: "127.0.0.1:${port}"\n`),
          port,
        }),
      ).rejects.toThrow(/nats-server clash exited/)
    } finally {
      other.close()
    }
  }, 15_000)

  it('leaves no server behind when the process that started it exits', async () => {
    const port = await freePort()
    const confPath = conf('orphan', `listen: "127.0.0.1:${port}"\n`)
    const script = join(dir, 'parent.mts')
    const module = join(REPO_ROOT, 'topology', 'actions', 'nats-server-process.ts')
    writeFileSync(
      script,
      `import { startNatsServer } from ${JSON.stringify(module)}\n` +
        `const s = await startNatsServer({ name: 'orphan', confPath: ${JSON.stringify(confPath)}, port: ${port} })\n` +
        `process.stdout.write(String(s.pid) + '\\n')\n` +
        `process.exit(0)\n`,
    )
    const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx')
    const child = spawn(tsx, [script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const code = await new Promise<number | null>((r) => child.once('exit', r))
    expect(code).toBe(0)
    const pid = Number(out.trim())
    expect(pid).toBeGreaterThan(0)
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20))
    expect(alive(pid)).toBe(false)
  }, 20_000)
})
