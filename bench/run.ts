/**
 * `portcullis bench` / `npm run bench`: in one run, on one machine, the same load against
 *   direct    the demo upstream alone (the baseline),
 *   haproxy   haproxy verifying an RS256 JWT in front of it (when installed),
 *   pipeline  the on-prem path driven by a Node link client (the edge's path without workerd),
 *   edge      the full path through local workerd (wrangler dev), without and with tokens,
 * each closed-loop with N in flight and open-loop at a fixed rate, with the CPU every process
 * of the target spent per request (bench/cpu.ts); one request at a time through direct, the
 * pipeline and the edge; then the pipeline again on a stack with two replicas of every stage
 * and on one with 3-node buses. Before the stack starts, the request validator's own cost per
 * process (bench/validator.ts) and the audit store's write rate (bench/audit.ts). Goals are
 * judged beside the figures (bench/goals.ts); results go to bench/results/<time>.json.
 * `--only a,b` picks rows (see ROWS).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import os from 'node:os'
import { flag } from '../cli/args.js'
import { startEphemeralStack, type EphemeralStack } from '../cli/ephemeral.js'
import { workerdProcessesOf } from '../cli/edge-dev.js'
import { freePort } from '../runtime/index.js'
import { REPO_ROOT } from '../cli/stack.js'
import { closedLoop, httpGet, openLoop, type LoadResult, type Send } from './load.js'
import { connectLinkClient, type LinkClient } from './link-client.js'
import { haproxyAvailable, startHaproxy } from './haproxy.js'
import { peakResidentMb } from './memory.js'
import { mintBearerTokens, verifyCostMicros } from './tokens.js'
import { benchRequestValidator, type ValidatorResult } from './validator.js'
import { benchFloor, type FloorResult } from './floor.js'
import { benchAuditStore, printAuditBench } from './audit.js'
import { cpuMicrosPerRequest, partsMicrosPerRequest, sampleCpu } from './cpu.js'
import { judgeGoals } from './goals.js'
import {
  printGoals,
  printOneAtATime,
  printSkipped,
  printTargets,
  type OneAtATime,
  type TargetResult,
} from './print.js'
import { failureReason, SetupError } from '../core/index.js'

/** Distinct tokens for the cold run: more than it sends, so none is reused (and cached). */
const COLD_TOKENS = 8000

/** How long the idle stack is read before the first target. */
const IDLE_SECONDS = 3

/** What `--only` picks from; everything by default. */
export const ROWS = [
  'validator',
  'audit',
  'floor',
  'direct',
  'haproxy',
  'pipeline',
  'edge',
  'bearer',
  'single',
  'replicas',
  'nodes3',
] as const
export type Row = (typeof ROWS)[number]

/** The variant stacks: the pipeline row again with other settings. */
const VARIANTS: Array<{ row: Row; target: string; overrides: unknown }> = [
  {
    row: 'replicas',
    target: 'pipeline ×2 replicas',
    overrides: { replicas: { relay: 2, requestValidator: 2, backend: 2, responseValidator: 2 } },
  },
  { row: 'nodes3', target: 'pipeline, 3-node buses', overrides: { bus: { nodes: 3 } } },
]

export function parseOnly(value: string | undefined): Set<Row> {
  if (value === undefined) return new Set(ROWS)
  const picked = value.split(',').map((s) => s.trim())
  const unknown = picked.filter((p) => !(ROWS as readonly string[]).includes(p))
  if (unknown.length)
    throw new SetupError(
      'ARGUMENT_INVALID',
      `--only: unknown row ${unknown.join(', ')} (rows: ${ROWS.join(', ')})`,
    )
  return new Set(picked as Row[])
}

interface Target {
  name: string
  send: Send
  /** Whether a process (by name and component) counts for this target's CPU. */
  counts: (component: string) => boolean
  cleanup?: () => Promise<void>
}

interface Settings {
  seconds: number
  concurrency: number
  rate: number
  log: (line: string) => void
}

/** Every process of the stack that runs, by name, with its component; haproxy beside them. */
function processTable(stack: EphemeralStack, extra: Record<string, number>) {
  const roots: Record<string, number> = {}
  const componentOf: Record<string, string> = {}
  for (const p of stack.processes()) {
    if (!p.pid || p.state === 'stopped') continue
    roots[p.name] = p.pid
    componentOf[p.name] = p.component
  }
  for (const [name, pid] of Object.entries(extra)) {
    roots[name] = pid
    componentOf[name] = name
  }
  return { roots, componentOf }
}

/** The edge's two workerd processes by role: the one running the workers, wrangler's proxy. */
function edgeParts(stack: EphemeralStack): Record<string, string> {
  const edge = stack.processes().find((p) => p.component === 'edge' && p.pid)
  if (!edge) return {}
  // wrangler's Node processes (its launcher and its CLI) and esbuild go under their names.
  const parts: Record<string, string> = {}
  for (const w of workerdProcessesOf(edge.pid, stack.config.edge.port))
    parts[`workerd#${w.pid}`] = w.role === 'workers' ? 'workerd (workers)' : 'workerd (proxy)'
  return parts
}

async function measureTarget(
  t: Target,
  s: Settings,
  table: () => ReturnType<typeof processTable>,
  parts: Record<string, string>,
  direct: TargetResult | undefined,
): Promise<TargetResult> {
  await closedLoop(t.send, s.concurrency, 1) // warm-up: connections, JIT, consumers
  const { roots, componentOf } = table()
  const s0 = sampleCpu(roots)
  const saturated = await closedLoop(t.send, s.concurrency, s.seconds)
  const s1 = sampleCpu(roots)
  const atRate = await openLoop(t.send, s.rate, Math.min(s.seconds, 5))
  const s2 = sampleCpu(roots)
  const counted = Object.keys(roots).filter((name) => t.counts(componentOf[name]!))
  const whole = cpuMicrosPerRequest(s0, s2, saturated.requests + atRate.requests, counted)
  const throughEdge = t.counts('edge')
  const edge = throughEdge
    ? partsMicrosPerRequest(s0.edge, s2.edge, saturated.requests + atRate.requests, parts)
    : undefined
  const base = direct ?? { saturated, atRate }
  return {
    target: t.name,
    saturated,
    atRate,
    ratioToDirect: saturated.rps / base.saturated.rps,
    addedP50AtRateMs: round(atRate.p50Ms - base.atRate.p50Ms),
    addedP99AtRateMs: round(atRate.p99Ms - base.atRate.p99Ms),
    cpuMicrosPerRequest: whole.total,
    cpu: {
      perProcess: whole.perProcess,
      saturatedMicrosPerRequest: cpuMicrosPerRequest(s0, s1, saturated.requests, counted).total,
      atRateMicrosPerRequest: cpuMicrosPerRequest(s1, s2, atRate.requests, counted).total,
      ...(edge ? { edge } : {}),
    },
    ...(edge && edge['workerd (workers)'] !== undefined
      ? { edgeWorkerMicrosPerRequest: edge['workerd (workers)'] }
      : {}),
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000

/** Components each kind of target is made of. */
const ONLY_DEMO = (c: string) => c === 'demo'
const HAPROXY = (c: string) => c === 'demo' || c === 'haproxy'
const PIPELINE = (c: string) => c !== 'edge' && c !== 'haproxy'
const THROUGH_EDGE = (c: string) => c !== 'haproxy'

export async function bench(args: string[]): Promise<number> {
  const seconds = Number(flag(args, 'seconds', '8'))
  const concurrency = Number(flag(args, 'concurrency', '64'))
  const rate = Number(flag(args, 'rate', '500'))
  const log = (line: string) => process.stdout.write(line + '\n')
  let only: Set<Row>
  try {
    only = parseOnly(flag(args, 'only'))
  } catch (e) {
    log((e as Error).message)
    return 2
  }
  const s: Settings = { seconds, concurrency, rate, log }
  // Interrupted: exit through 'exit', whose handlers kill every process the stacks started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
  const report: Record<string, unknown> = { settings: { seconds, concurrency, rate } }
  const results: TargetResult[] = []
  const oneAtATime: OneAtATime[] = []
  const skipped: Array<{ row: string; reason: string }> = []

  // On a quiet machine, before the stack takes the cores.
  if (only.has('validator')) {
    log('measuring the request validator (pure handler, one process)...')
    const validator = await benchRequestValidator(REPO_ROOT, Math.min(seconds, 3))
    printValidator(validator, log)
    report.validator = validator
  }
  if (only.has('audit')) {
    log('measuring the audit store (PostgreSQL, PGlite)...')
    const audit = await benchAuditStore(Math.min(seconds, 3))
    printAuditBench(audit, log)
    report.audit = audit
  }
  if (only.has('floor')) {
    log('measuring the floor of the four-bus shape (one nats-server, forwarders only)...')
    const floor = await benchFloor(Math.min(seconds, 4), concurrency)
    printFloor(floor, log)
    report.floor = floor
  }
  // Per-request info lines (the demo logs each request) would be measured as gateway cost.
  process.env.PORTCULLIS_LOG_LEVEL ??= 'warn'
  const onLine = (c: string, l: string) =>
    /^(error|warn)/.test(l) ? log(`${c} | ${l}`) : undefined

  const mainRows: Row[] = ['direct', 'haproxy', 'pipeline', 'edge', 'bearer', 'single']
  if (mainRows.some((r) => only.has(r))) {
    const withEdge = only.has('edge') || only.has('bearer') || only.has('single')
    log(`starting the stack (${os.cpus().length} cores${withEdge ? '' : ', without the edge'})...`)
    const stack = await startEphemeralStack(
      { edge: { deadlineMs: 30_000, linkPoolSize: 4 } },
      { onLine, edge: withEdge },
    )
    const targets: Target[] = []
    const extra: Record<string, number> = {}
    let link: LinkClient | undefined
    try {
      const directSend = httpGet(`${stack.demoUrl}/orders`, concurrency)
      targets.push({ name: 'direct', send: directSend, counts: ONLY_DEMO })
      if (only.has('haproxy')) {
        if (haproxyAvailable()) {
          const haproxy = await startHaproxy(stack.dir, await freePort(), stack.config.demo.port)
          extra.haproxy = haproxy.pid
          targets.push({
            name: 'haproxy',
            send: httpGet(`${haproxy.url}/orders`, concurrency, {
              authorization: haproxy.authorization,
            }),
            counts: HAPROXY,
            cleanup: haproxy.stop,
          })
        } else {
          skipped.push({
            row: 'haproxy',
            reason: 'haproxy is not installed (apt-get install haproxy)',
          })
        }
      }
      const client = (link = await connectLinkClient(stack.config))
      const pipelineSend: Send = async () => (await client.get('/orders')) === 200
      if (only.has('pipeline'))
        targets.push({ name: 'pipeline', send: pipelineSend, counts: PIPELINE })
      const edgeSend = withEdge ? httpGet(`${stack.url}/demo/orders`, concurrency) : undefined
      if (edgeSend && only.has('edge'))
        targets.push({ name: 'edge', send: edgeSend, counts: THROUGH_EDGE })
      let verifyMicros: number | undefined
      if (only.has('bearer')) {
        // Warm reuses one token (its access token is cached at the edge), cold sends a new
        // token each time (verify, revocation check and a mint per request).
        const [warmToken] = await mintBearerTokens(stack.config.paths.keys, 1)
        targets.push({
          name: 'edge+bearer warm',
          send: httpGet(`${stack.url}/demo/orders`, concurrency, {
            authorization: `Bearer ${warmToken}`,
          }),
          counts: THROUGH_EDGE,
        })
        const coldTokens = await mintBearerTokens(stack.config.paths.keys, COLD_TOKENS)
        let nextCold = 0
        targets.push({
          name: 'edge+bearer cold',
          send: httpGet(`${stack.url}/demo/orders`, concurrency, () => ({
            authorization: `Bearer ${coldTokens[nextCold++ % coldTokens.length]}`,
          })),
          counts: THROUGH_EDGE,
        })
        verifyMicros = await verifyCostMicros(stack.config.paths.keys)
      }
      const parts = withEdge ? edgeParts(stack) : {}
      const table = () => processTable(stack, extra)
      // What the stack spends with nothing to do (heartbeats, timers), which every window holds.
      const idleRoots = table().roots
      const idleStart = sampleCpu(idleRoots)
      await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000))
      const idleEnd = sampleCpu(idleRoots)
      const idle = cpuMicrosPerRequest(idleStart, idleEnd, IDLE_SECONDS)
      const idleEdge = partsMicrosPerRequest(idleStart.edge, idleEnd.edge, IDLE_SECONDS, parts)
      report.idleMicrosPerSecond = { ...idle, ...(withEdge ? { edge: idleEdge } : {}) }
      const busy = Object.entries({ ...idle.perProcess, ...idleEdge }).filter(([, us]) => us > 0)
      log(
        `idle: ${idle.total} µs of CPU per second, all processes` +
          (busy.length ? ` (${busy.map(([name, us]) => `${name} ${us}`).join(', ')})` : ''),
      )
      let direct: TargetResult | undefined
      for (const t of targets) {
        log(`measuring ${t.name}...`)
        const r = await measureTarget(t, s, table, parts, direct)
        if (t.name === 'direct') direct = r
        results.push(r)
      }
      if (only.has('single')) {
        const singles: Array<[string, Send]> = [
          ['direct', directSend],
          ['pipeline', pipelineSend],
          ...(edgeSend ? ([['edge', edgeSend]] as Array<[string, Send]>) : []),
        ]
        log('measuring one request at a time...')
        let base: LoadResult | undefined
        for (const [name, send] of singles) {
          await closedLoop(send, 1, 0.5)
          const result = await closedLoop(send, 1, Math.min(seconds, 4))
          base ??= result
          oneAtATime.push({
            target: name,
            result,
            addedP50Ms: round(result.p50Ms - base.p50Ms),
            addedP99Ms: round(result.p99Ms - base.p99Ms),
          })
        }
      }
      // Read while every process still runs: peak resident memory is gone with the process.
      const { roots } = table()
      report.memoryMb = Object.fromEntries(
        Object.entries(roots).map(([name, pid]) => [name, peakResidentMb(pid)]),
      )
      if (verifyMicros !== undefined) report.verifyMicrosPerToken = verifyMicros
    } finally {
      for (const t of targets) await t.cleanup?.().catch(() => undefined)
      await link?.close().catch(() => undefined)
      await stack.dispose()
    }
  }

  for (const v of VARIANTS) {
    if (!only.has(v.row)) continue
    log(`starting a stack for ${v.target} (${JSON.stringify(v.overrides)}, without the edge)...`)
    let stack: EphemeralStack
    try {
      stack = await startEphemeralStack(
        { edge: { deadlineMs: 30_000, linkPoolSize: 4 }, ...(v.overrides as object) },
        { onLine, edge: false },
      )
    } catch (e) {
      const reason = `its stack did not start: ${failureReason(e)}`
      log(`skipped ${v.target}: ${reason}`)
      skipped.push({ row: v.target, reason })
      continue
    }
    const link = await connectLinkClient(stack.config).catch((e: unknown) => e as Error)
    try {
      if (link instanceof Error) {
        const reason = `the link client could not connect: ${link.message}`
        log(`skipped ${v.target}: ${reason}`)
        skipped.push({ row: v.target, reason })
        continue
      }
      const table = () => processTable(stack, {})
      let direct = results.find((r) => r.target === 'direct')
      if (!direct) {
        log('measuring direct...')
        direct = await measureTarget(
          {
            name: 'direct',
            send: httpGet(`${stack.demoUrl}/orders`, concurrency),
            counts: ONLY_DEMO,
          },
          s,
          table,
          {},
          undefined,
        )
        results.push(direct)
      }
      log(`measuring ${v.target}...`)
      const send: Send = async () => (await link.get('/orders')) === 200
      results.push(
        await measureTarget({ name: v.target, send, counts: PIPELINE }, s, table, {}, direct),
      )
    } finally {
      if (!(link instanceof Error)) await link.close().catch(() => undefined)
      await stack.dispose()
    }
  }

  const goals = judgeGoals(
    results.map((r) => ({
      target: r.target,
      rps: r.saturated.rps,
      addedP50AtRateMs: r.addedP50AtRateMs,
      addedP99AtRateMs: r.addedP99AtRateMs,
      cpuMicrosPerRequest: r.cpuMicrosPerRequest,
      ...(r.edgeWorkerMicrosPerRequest !== undefined
        ? { edgeWorkerMicrosPerRequest: r.edgeWorkerMicrosPerRequest }
        : {}),
      ...(r.target === 'pipeline'
        ? { addedP50OneAtATimeMs: oneAtATime.find((o) => o.target === 'pipeline')?.addedP50Ms }
        : {}),
    })),
    rate,
  )
  if (results.length) {
    printTargets(results, rate, log)
    printOneAtATime(oneAtATime, log)
    printGoals(goals, log)
  }
  printSkipped(skipped, log)
  if (report.verifyMicrosPerToken !== undefined) {
    log('')
    log(
      `verifying one bearer token (EdDSA, pinned verifier, Node): ${report.verifyMicrosPerToken} µs`,
    )
  }
  const memory = report.memoryMb as Record<string, { mb: number; processes: number }> | undefined
  if (memory) {
    log('')
    log('peak resident memory (MB; a process and its descendants are summed):')
    for (const [name, m] of Object.entries(memory))
      log(`  ${name.padEnd(22)} ${m.mb}${m.processes > 1 ? ` (${m.processes} processes)` : ''}`)
  }
  writeReport({ ...report, results, oneAtATime, goals, skipped }, log)
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

function printFloor(results: FloorResult[], log: (line: string) => void): void {
  log('')
  const line = (cells: Array<string | number>) =>
    cells.map((c, i) => (i === 0 ? String(c).padEnd(30) : String(c).padStart(10))).join(' ')
  log(line(['four-bus floor, in flight', 'requests', 'p50 ms', 'p99 ms', 'CPU µs/req']))
  for (const r of results) {
    log(line([r.inFlight, r.requests, r.p50Ms, r.p99Ms, r.cpuMicrosPerRequest]))
  }
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
