/**
 * `npm start` as a user runs it: `portcullis up` in the foreground, a real request through
 * it, `portcullis audit show | verify` in a second terminal while it runs, SIGHUP (a policy
 * reload everywhere, nothing stopped), then SIGTERM, after which nothing it started may be
 * left running.
 */
import { spawn, execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { freePorts } from '../../runtime/index.js'
import { REPO_ROOT } from '../../cli/stack.js'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-up-'))

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function processesMentioning(text: string): string[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
  return out.split('\n').filter((l) => l.includes(text) && !l.includes('ps -e'))
}

it('CLI-001 up serves the demo, prints the ingress and the console (whose API answers only with its token), its audit trail reads while it runs, SIGHUP reloads the policy everywhere and stops nothing, and SIGTERM leaves no process behind', async () => {
  const [link, linkWebsocket, dreq, creq, dresp, cresp, edge, demo, consolePort] =
    await freePorts(9)
  const config = JSON.parse(readFileSync(join(REPO_ROOT, 'portcullis.config.json'), 'utf8'))
  config.edge.port = edge
  config.demo = { port: demo }
  config.console = { port: consolePort }
  config.upstreams.demo.baseUrl = `http://127.0.0.1:${demo}`
  config.upstreams.demo.openapi = join(REPO_ROOT, 'demo', 'openapi.json')
  config.bus = { ports: { link, linkWebsocket, dreq, creq, dresp, cresp } }
  config.paths = { keys: join(dir, 'keys'), data: join(dir, 'data') }
  const file = join(dir, 'portcullis.config.json')
  writeFileSync(file, JSON.stringify(config, null, 2))

  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'cli', 'portcullis.mjs'), 'up', '--config', file],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    const started = Date.now()
    while (!output.includes('Portcullis is up') && Date.now() - started < 240_000) {
      if (child.exitCode !== null) throw new Error(`up exited early:\n${output}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(output).toContain(`Ingress: http://127.0.0.1:${edge}`)
    expect(output).toMatch(/^edge\s+\| /m)
    // The console's URL, its login token in the fragment: the API answers with it only.
    const consoleUrl = new RegExp(
      `Console .*: (http://127\\.0\\.0\\.1:${consolePort}/)#token=(\\S+)`,
    ).exec(output)
    expect(consoleUrl, output).not.toBeNull()
    const [, consoleBase, consoleToken] = consoleUrl!
    expect((await fetch(`${consoleBase}api/overview`)).status).toBe(401)
    const overview = await fetch(`${consoleBase}api/overview`, {
      headers: { authorization: `Bearer ${consoleToken}` },
    })
    expect(overview.status).toBe(200)
    const res = await fetch(`http://127.0.0.1:${edge}/demo/orders`)
    expect(res.status).toBe(200)
    // The trail, read while the sink holds the embedded store (through its reader socket).
    const requestId = res.headers.get('x-request-id')!
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [join(REPO_ROOT, 'cli', 'portcullis.mjs'), 'audit', ...args, '--config', file],
        { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
      )
    let stages: string[] = []
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      const shown = cli('show', '--request', requestId, '--json')
      expect(shown.status, shown.stderr).toBe(0)
      stages = (JSON.parse(shown.stdout) as Array<{ stage: string }>).map((e) => e.stage)
      if (stages.includes('response-validator') && stages.includes('backend')) break
      await new Promise((r) => setTimeout(r, 500))
    }
    expect(stages).toEqual(
      expect.arrayContaining([
        'edge',
        'relay',
        'request-validator',
        'backend',
        'response-validator',
      ]),
    )
    const verified = cli('verify')
    expect(verified.status, verified.stderr).toBe(0)
    expect(verified.stdout).toContain('read through the running audit sink')
    expect(processesMentioning(dir).length).toBeGreaterThan(5)
    // The live process table: every process with a live pid, its ports answering.
    const status = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'cli', 'portcullis.mjs'), 'status', '--json', '--config', file],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
    )
    expect(status.status).toBe(0)
    const report = JSON.parse(status.stdout) as {
      stale: boolean
      processes: Array<{ name: string; pid: number; health: string }>
    }
    expect(report.stale).toBe(false)
    expect(report.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining(['nats-link', 'relay', 'request-validator', 'audit-sink', 'edge']),
    )
    expect(report.processes.every((p) => p.health === 'up' && p.pid > 0)).toBe(true)
    // SIGHUP to up reloads its own view of the policy and each stage's, and
    // ends nothing.
    const before = output.length
    child.kill('SIGHUP')
    const reloaded = (name: string) =>
      new RegExp(`^${name}\\s+\\| info reloaded cause=SIGHUP`, 'm').test(output.slice(before))
    for (const until = Date.now() + 20_000; Date.now() < until;) {
      if (['supervisor', 'request-validator', 'response-validator', 'backend-demo'].every(reloaded))
        break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(
      ['supervisor', 'request-validator', 'response-validator', 'backend-demo'].filter(
        (n) => !reloaded(n),
      ),
      output.slice(before),
    ).toEqual([])
    expect(output.slice(before)).toMatch(/^relay\s+\| info reload-ignored/m)
    expect(child.exitCode).toBeNull()
    expect((await fetch(`http://127.0.0.1:${edge}/demo/orders`)).status).toBe(200)
  } finally {
    child.kill('SIGTERM')
    await exited
  }
  await new Promise((r) => setTimeout(r, 500))
  expect(processesMentioning(dir)).toEqual([])
  expect(existsSync(join(dir, 'data', 'stack.json'))).toBe(false)
  // Generous: the whole stack with workerd, on cores other suites and benchmarks share.
}, 300_000)
