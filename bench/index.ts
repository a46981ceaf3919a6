/**
 * `portcullis bench` / `npm run bench`: in one run, on one machine, the same load against
 *   direct    the demo upstream alone (the baseline),
 *   haproxy   haproxy verifying an RS256 JWT in front of it (when installed),
 *   pipeline  the on-prem path driven by a Node link client (the edge's path without workerd),
 *   edge      the full path through local workerd (wrangler dev),
 * each closed-loop with N in flight and open-loop at a fixed rate; then the peak resident
 * memory of every component. Before the stack starts, the request validator's own cost per
 * process (bench/validator.ts). Results go to bench/results/<time>.json and a table.
 * `--only validator` measures the validator alone, without starting the stack; `--only audit`
 * the audit store's write rate alone (bench/audit.ts), which the full run measures too.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import os from 'node:os'
import { flag } from '../cli/args.js'
import { startEphemeralStack } from '../cli/ephemeral.js'
import { freePort } from '../runtime/index.js'
import { REPO_ROOT } from '../cli/stack.js'
import { closedLoop, httpGet, openLoop, type LoadResult, type Send } from './load.js'
import { connectLinkClient } from './link-client.js'
import { haproxyAvailable, startHaproxy } from './haproxy.js'
import { peakResidentMb } from './memory.js'
import { mintBearerTokens, verifyCostMicros } from './tokens.js'
import { benchRequestValidator, type ValidatorResult } from './validator.js'
import { benchAuditStore, printAuditBench } from './audit.js'

/** Distinct tokens for the cold run: more than it sends, so none is reused (and cached). */
const COLD_TOKENS = 8000

interface TargetResult {
  target: string
  saturated: LoadResult
  atRate: LoadResult
}

function row(cells: Array<string | number>): string {
  return cells
    .map((c, i) =>
      String(c)
        .padStart(i === 0 ? 0 : 11)
        .padEnd(i === 0 ? 18 : 0),
    )
    .join(' ')
}

export async function bench(args: string[]): Promise<number> {
  const seconds = Number(flag(args, 'seconds', '8'))
  const concurrency = Number(flag(args, 'concurrency', '64'))
  const rate = Number(flag(args, 'rate', '500'))
  const log = (line: string) => process.stdout.write(line + '\n')

  if (flag(args, 'only') === 'audit') {
    log('measuring the audit store (PostgreSQL, PGlite)...')
    const audit = await benchAuditStore(Math.min(seconds, 3))
    printAuditBench(audit, log)
    writeReport({ kind: 'audit', audit }, log)
    return 0
  }
  // On a quiet machine, before the stack takes the cores.
  log('measuring the request validator (pure handler, one process)...')
  const validator = await benchRequestValidator(REPO_ROOT, Math.min(seconds, 3))
  printValidator(validator, log)
  if (flag(args, 'only') === 'validator') {
    writeReport({ kind: 'validator', validator }, log)
    return 0
  }
  log('measuring the audit store (PostgreSQL, PGlite)...')
  const audit = await benchAuditStore(Math.min(seconds, 3))
  printAuditBench(audit, log)

  log(`starting the stack (${os.cpus().length} cores)...`)
  // Per-request info lines (the demo logs each request) would be measured as gateway cost.
  process.env.PORTCULLIS_LOG_LEVEL ??= 'warn'
  const stack = await startEphemeralStack(
    { edge: { deadlineMs: 30_000, linkPoolSize: 4 } },
    { onLine: (c, l) => (/^(error|warn)/.test(l) ? log(`${c} | ${l}`) : undefined) },
  )
  const targets: Array<{ name: string; send: Send; cleanup?: () => Promise<void> }> = []
  targets.push({ name: 'direct', send: httpGet(`${stack.demoUrl}/orders`, concurrency) })
  let haproxyPid: number | undefined
  if (haproxyAvailable()) {
    const haproxy = await startHaproxy(stack.dir, await freePort(), stack.config.demo.port)
    haproxyPid = haproxy.pid
    targets.push({
      name: 'haproxy',
      send: httpGet(`${haproxy.url}/orders`, concurrency, { authorization: haproxy.authorization }),
      cleanup: haproxy.stop,
    })
  } else {
    log('haproxy is not installed: its baseline is skipped (apt-get install haproxy)')
  }
  const link = await connectLinkClient(stack.config)
  targets.push({
    name: 'pipeline',
    send: async () => (await link.get('/orders')) === 200,
    cleanup: link.close,
  })
  targets.push({ name: 'edge', send: httpGet(`${stack.url}/demo/orders`, concurrency) })
  // With a bearer token: warm reuses one token (its access token is cached at the edge),
  // cold sends a new token each time (verify, revocation check and a mint per request).
  const [warmToken] = await mintBearerTokens(stack.config.paths.keys, 1)
  targets.push({
    name: 'edge+bearer warm',
    send: httpGet(`${stack.url}/demo/orders`, concurrency, {
      authorization: `Bearer ${warmToken}`,
    }),
  })
  const coldTokens = await mintBearerTokens(stack.config.paths.keys, COLD_TOKENS)
  let nextCold = 0
  targets.push({
    name: 'edge+bearer cold',
    send: httpGet(`${stack.url}/demo/orders`, concurrency, () => ({
      authorization: `Bearer ${coldTokens[nextCold++ % coldTokens.length]}`,
    })),
  })
  const verifyMicros = await verifyCostMicros(stack.config.paths.keys)

  const results: TargetResult[] = []
  let memory: Record<string, { mb: number; processes: number }> = {}
  try {
    for (const t of targets) {
      log(`measuring ${t.name}...`)
      await closedLoop(t.send, concurrency, 1) // warm-up: connections, JIT, consumers
      const saturated = await closedLoop(t.send, concurrency, seconds)
      const atRate = await openLoop(t.send, rate, Math.min(seconds, 5))
      results.push({ target: t.name, saturated, atRate })
    }
    // Read while every process still runs: peak resident memory is gone with the process.
    const pids = stack.pids()
    if (haproxyPid) pids.haproxy = haproxyPid
    memory = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, peakResidentMb(pid)]),
    )
  } finally {
    for (const t of targets) await t.cleanup?.().catch(() => undefined)
    await stack.dispose()
  }

  const direct = results.find((r) => r.target === 'direct')!
  log('')
  log(
    row(['target', 'req/s', 'p50 ms', 'p99 ms', 'x direct', `p50@${rate}/s`, `+p50 ms`, 'errors']),
  )
  for (const r of results) {
    log(
      row([
        r.target,
        r.saturated.rps,
        r.saturated.p50Ms,
        r.saturated.p99Ms,
        (r.saturated.rps / direct.saturated.rps).toFixed(3),
        r.atRate.p50Ms,
        (r.atRate.p50Ms - direct.atRate.p50Ms).toFixed(3),
        r.saturated.errors + r.atRate.errors,
      ]),
    )
  }
  log('')
  log(`verifying one bearer token (EdDSA, pinned verifier, Node): ${verifyMicros} µs`)
  log('')
  log('peak resident memory (MB; a process group is summed):')
  for (const [name, m] of Object.entries(memory))
    log(`  ${name.padEnd(22)} ${m.mb}${m.processes > 1 ? ` (${m.processes} processes)` : ''}`)

  writeReport(
    {
      settings: { seconds, concurrency, rate },
      results: results.map((r) => ({
        ...r,
        ratioToDirect: r.saturated.rps / direct.saturated.rps,
      })),
      verifyMicrosPerToken: verifyMicros,
      validator,
      audit,
      memoryMb: memory,
    },
    log,
  )
  return 0
}

function printValidator(results: ValidatorResult[], log: (line: string) => void): void {
  log('')
  const line = (cells: Array<string | number>) =>
    cells.map((c, i) => (i === 0 ? String(c).padEnd(30) : String(c).padStart(9))).join(' ')
  log(line(['request validator, one process', 'verdict', 'msg/s', 'p50 µs', 'p99 µs']))
  for (const r of results) log(line([r.message, r.verdict, r.perSecond, r.p50Us, r.p99Us]))
  log('')
}

function writeReport(body: Record<string, unknown>, log: (line: string) => void): void {
  const report = {
    when: new Date().toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    ...body,
  }
  const dir = join(REPO_ROOT, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${report.when.replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
  log(`\nwritten to ${file}`)
}
