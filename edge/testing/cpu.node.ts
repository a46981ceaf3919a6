/**
 * Measures the ingress worker's CPU per request inside workerd, as the stack runs it: the
 * worker under `wrangler dev` (the CLI's own launcher), its link pool dialling a real link
 * nats-server, and this script answering on the link as the relay does, so only the edge's
 * own work is counted. The figure is the CPU time (user + system, `/proc/<pid>/stat`) of the
 * workerd process that runs the workers over a run of requests, divided by the requests;
 * wrangler's own Node process and its proxy workerd are reported apart.
 *
 *   npx tsx edge/testing/cpu.node.ts [--requests 3000] [--concurrency 16] [--rounds 2]
 *
 * Prints one JSON line per (case, round) and a summary. Not a test: nothing asserts a speed.
 */
import { copyFileSync, existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { cpuMicrosOf, workerdProcessesOf } from '../../cli/edge-dev.js'
import { answerLinkRequests, startBuses } from '../../tests/harness/buses.js'
import { bearerTokenFor } from '../../tests/harness/tokens.js'
import { freePort } from '../../runtime/index.js'
import { startEdgeDev } from '../../cli/edge-dev.js'
import { startProfile } from './profile.node.js'

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
    /** Also write a CPU profile of the ingress worker's isolate per case, into this folder. */
    profile: { type: 'string' },
  },
})
const REQUESTS = Number(values.requests)
const CONCURRENCY = Number(values.concurrency)
const ROUNDS = Number(values.rounds)

const buses = await startBuses({ edge: { deadlineMs: 10_000 } })
const inspectorPort = await freePort()
const edge = await startEdgeDev({
  dir: buses.dir,
  config: buses.config,
  keysDir: buses.keysDir,
  port: buses.config.edge.port,
  inspectorPort,
  onLine: () => undefined,
})
try {
  const relay = await buses.connect('relay', 'link')
  const body = new TextEncoder().encode('{"ok":true}')
  answerLinkRequests(relay, () => body)
  await relay.flush()
  const bearer = await bearerTokenFor(buses.keysDir, ['orders'])

  // `refused` (an unknown host: 404 at the edge, nothing on the link) is the floor of the
  // HTTP path, the app and the audit event; the other two go over the link.
  const cases: Record<string, { path: string; status: number; init: RequestInit }> = {
    refused: { path: '/nope/orders/', status: 404, init: {} },
    anonymous: { path: '/demo/orders/', status: 200, init: {} },
    bearer: {
      path: '/demo/orders/',
      status: 200,
      init: { headers: { authorization: `Bearer ${bearer}` } },
    },
  }

  async function run({ path, status, init }: (typeof cases)[string], n: number): Promise<number> {
    let next = 0
    let failed = 0
    const worker = async () => {
      while (next < n) {
        const i = next++
        // A reload of the worker (its sources changed) closes connections: counted, not fatal.
        const res = await fetch(`${edge.url}${path}${i}`, init).catch(() => undefined)
        await res?.arrayBuffer()
        if (res?.status !== status) failed++
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    return failed
  }

  // Warm every isolate, pool object and key cache first.
  for (const c of Object.values(cases)) await run(c, 300)
  const processes = workerdProcessesOf(edge.pid, buses.config.edge.port)
  const summary: Record<string, number[]> = {}
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, c] of Object.entries(cases)) {
      const profile =
        values.profile && round === 1
          ? await startProfile(inspectorPort, `${values.profile}/${name}.cpuprofile`)
          : undefined
      const before = processes.map((p) => cpuMicrosOf(p.pid))
      const started = performance.now()
      const failed = await run(c, REQUESTS)
      const seconds = (performance.now() - started) / 1000
      await profile?.stop()
      const perProcess = processes.map((p, i) => ({
        pid: p.pid,
        role: p.role,
        micros: Math.round((cpuMicrosOf(p.pid) - before[i]!) / REQUESTS),
      }))
      const workers = perProcess.find((p) => p.role === 'workers')?.micros ?? NaN
      ;(summary[name] ??= []).push(workers)
      console.log(
        JSON.stringify({
          case: name,
          round,
          requests: REQUESTS,
          failed,
          reqPerSecond: Math.round(REQUESTS / seconds),
          cpuMicrosPerRequest: perProcess,
        }),
      )
    }
  }
  console.log(JSON.stringify({ summary: 'workers workerd CPU µs per request', ...summary }))
  if (values.profile) {
    // The bundle the profiles' line numbers refer to.
    const tmp = join(buses.dir, 'edge', '.wrangler', 'tmp')
    for (const d of readdirSync(tmp)) {
      if (existsSync(join(tmp, d, 'index.js'))) {
        copyFileSync(join(tmp, d, 'index.js'), join(values.profile, 'index.js'))
      }
    }
  }
  await relay.close()
} finally {
  await edge.stop()
  await buses.stop()
}
