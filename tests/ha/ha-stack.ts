/**
 * The stack the fault tests and the soak run: the whole on-prem side as `portcullis up`
 * starts it (no workerd: the load speaks the link itself), on free loopback ports and a
 * folder of its own, the audit trail in a PostgreSQL of its own so it can be read while the
 * sink writes. Faults go through the supervisor's `Stack` calls (`kill`, `waitRunning`,
 * `rollingRestart`, `processes`).
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { startEphemeralStack, type EphemeralStack } from '../../cli/ephemeral.js'
import { REPO_ROOT } from '../../cli/stack.js'
import { mergeConfig } from '../../config/index.js'
import { AUDIT_DATABASE_URL_ENV, auditKeyPaths } from '../../audit/store/index.js'
import { startPostgres, type PostgresHarness } from '../harness/postgres.js'
import { accessTokenFor } from '../harness/tokens.js'

export interface HaStackOptions {
  nodes: 1 | 3
  replicas: number
  onLine?: (component: string, line: string) => void
  /** Merged over the fault-test settings. */
  overrides?: unknown
}

export interface HaStack {
  stack: EphemeralStack
  postgres: PostgresHarness
  /** Every process name: nats nodes first, then the stages. */
  processNames(): string[]
  /** Process id per name, for memory readings. */
  pids(): Record<string, number>
  /** kill -9 one process and wait until it is running again (the supervisor's restart). */
  crash(name: string): Promise<void>
  rollingRestart(): Promise<void>
  accessToken(): Promise<string>
  /** How often the upstream executed each order item (created an order for it). */
  executions(): Promise<Map<string, number>>
  /** How many writes reached the upstream with each `Idempotency-Key` (the demo counts them). */
  arrivals(): Promise<Map<string, number>>
  /** The stored audit events' ids (`<request id>/<identity>/<step>`) per request id. */
  auditEvents(requestIds: string[]): Promise<Map<string, string[]>>
  /** `portcullis audit verify`, as an operator runs it: exit code and output. */
  auditVerify(): Promise<{ code: number; output: string }>
  dispose(): Promise<void>
}

/**
 * Short timeouts so a lost message is redelivered quickly and an answer is never late. The
 * demo replays its first answer per `Idempotency-Key`, and says so: an attempt whose outcome
 * the gateway lost (its connector killed mid-call) is asked again with the same key.
 */
export const HA_SETTINGS = {
  edge: { deadlineMs: 8000 },
  upstreams: { demo: { timeoutMs: 2000, honoursIdempotencyKey: true } },
  bus: { ackWaitMs: 3000 },
}

export function rssKbOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

export async function startHaStack(options: HaStackOptions): Promise<HaStack> {
  const postgres = await startPostgres()
  // The sink (a child) and `audit verify` read the store's URL from the environment.
  process.env[AUDIT_DATABASE_URL_ENV] = postgres.url
  const replicas = options.replicas
  const config = mergeConfig(HA_SETTINGS, {
    bus: { nodes: options.nodes },
    replicas: {
      relay: Math.max(replicas, options.nodes === 3 ? 2 : 1),
      requestValidator: replicas,
      backend: replicas,
      responseValidator: replicas,
    },
    ...(options.overrides as object),
  })
  let stack: EphemeralStack
  try {
    stack = await startEphemeralStack(config, {
      edge: false,
      onLine: options.onLine ?? (() => undefined),
    })
  } catch (e) {
    await postgres.stop()
    throw e
  }
  const db = new pg.Pool({ connectionString: postgres.url, max: 2 })
  return {
    stack,
    postgres,
    processNames: () => {
      const all = stack.processes().map((p) => p.name)
      return [
        ...all.filter((n) => n.startsWith('nats-')),
        ...all.filter((n) => !n.startsWith('nats-')),
      ]
    },
    pids: () => stack.pids(),
    async crash(name) {
      await stack.kill(name, 'SIGKILL')
      await stack.waitRunning(name, 60_000)
    },
    rollingRestart: () => stack.rollingRestart(),
    accessToken: () => accessTokenFor(stack.config.paths.keys, ['orders'], 'ha-load'),
    async executions() {
      const res = await fetch(`${stack.demoUrl}/orders`)
      const { orders } = (await res.json()) as { orders: Array<{ item: string }> }
      const out = new Map<string, number>()
      for (const o of orders) out.set(o.item, (out.get(o.item) ?? 0) + 1)
      return out
    },
    async arrivals() {
      const res = await fetch(`${stack.demoUrl}/_demo/executions`)
      const { executions } = (await res.json()) as { executions: Record<string, number> }
      return new Map(Object.entries(executions))
    },
    async auditEvents(requestIds) {
      const out = new Map<string, string[]>()
      for (let i = 0; i < requestIds.length; i += 5000) {
        const { rows } = await db.query<{ request_id: string; event_id: string }>(
          'SELECT request_id, event_id FROM audit_events WHERE request_id = ANY($1)',
          [requestIds.slice(i, i + 5000)],
        )
        for (const r of rows) out.set(r.request_id, [...(out.get(r.request_id) ?? []), r.event_id])
      }
      return out
    },
    auditVerify: () =>
      new Promise((resolve) => {
        const child = spawn(
          process.execPath,
          [
            join(REPO_ROOT, 'cli', 'portcullis.mjs'),
            'audit',
            'verify',
            '--public-key',
            auditKeyPaths(stack.config.paths.keys).publicKey,
          ],
          { cwd: REPO_ROOT, env: { ...process.env, [AUDIT_DATABASE_URL_ENV]: postgres.url } },
        )
        let output = ''
        child.stdout.on('data', (d: Buffer) => (output += d.toString()))
        child.stderr.on('data', (d: Buffer) => (output += d.toString()))
        child.on('exit', (code) => resolve({ code: code ?? 1, output }))
      }),
    async dispose() {
      await db.end().catch(() => undefined)
      await stack.dispose().catch(() => undefined)
      await postgres.stop()
    },
  }
}
