/**
 * The pieces the fault test and the soak share: the load on a stack, one fault at a time
 * while it runs, and the checks after it (answers, upstream executions, audit trail).
 */
import type { Outcome } from './link-load.js'
import { linkWebsocketUrls } from '../../topology/index.js'
import { connectLinkLoad, type LinkLoadClient } from './link-load.js'
import type { HaStack } from './ha-stack.js'
import { retryAfterOf } from '../../core/index.js'
import { verdictOf, type Fault } from './judge.js'
import { startRecorder, type Recorder } from './recorder.js'

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * The events each request answered normally leaves, by the event id's identity and step
 * (`<request id>/<identity>/<step>`, `bus/audit.ts`); a replica writes under its
 * component's identity.
 */
export const AUDITED_STEPS = [
  'relay/request',
  'request-validator/request',
  'backend-demo/upstream',
  'response-validator/response',
  'relay/response',
]

export interface Load {
  client: LinkLoadClient
  clientKeys: boolean
  runId: string
  /** The next request's index: items stay unique across every load on this client. */
  nextIndex: number
}

/**
 * Connects the load client and waits until the path answers normally. POSTs carry a client
 * `Idempotency-Key` when the gateway answers one with 201; when a keyed POST keeps failing
 * while a POST without a key goes through, the load goes without keys and says so
 * (`clientKeys: false`), so the rest of the proof still runs.
 */
export async function connectLoad(ha: HaStack, runId: string): Promise<Load> {
  const { config, topology } = ha.stack
  // Every link node: the client moves to another when its node goes.
  const urls = linkWebsocketUrls(topology)
  const actor = await ha.accessToken()
  const keyed = await connectLinkLoad(config, urls, { actor, clientKeys: true, runId: `${runId}k` })
  const plain = await connectLinkLoad(config, urls, {
    actor,
    clientKeys: false,
    runId: `${runId}p`,
  })
  let clientKeys: boolean | undefined
  let keyRefusals = 0
  try {
    const deadline = Date.now() + 60_000
    for (let i = 0; clientKeys === undefined; i++) {
      const get = await keyed.send('get', i)
      const post = await keyed.send('post', i)
      if (get.status === 200 && post.status === 201) clientKeys = true
      else if (get.status === 200 && (await plain.send('post', i)).status === 201) {
        keyRefusals++
        if (keyRefusals >= 5) {
          clientKeys = false
          process.stderr.write(
            `POST with Idempotency-Key: ${post.status} ${post.code}; load goes without\n`,
          )
        }
      } else if (Date.now() > deadline) {
        throw new Error(
          `the path does not answer: GET ${get.status}, POST ${post.status} ${post.code}`,
        )
      }
      await sleep(250)
    }
  } finally {
    await keyed.close()
    await plain.close()
  }
  const client = await connectLinkLoad(config, urls, { actor, clientKeys, runId })
  return { client, clientKeys, runId, nextIndex: 0 }
}

/** Runs `during` under a steady load and returns every outcome. */
export async function underLoad(
  load: Load,
  rate: number,
  during: (recorder: Recorder) => Promise<void>,
): Promise<Outcome[]> {
  const recorder = startRecorder(load.client, { rate, postEvery: 4, firstIndex: load.nextIndex })
  try {
    await during(recorder)
  } finally {
    await recorder.stop()
    load.nextIndex = recorder.nextIndex()
  }
  return recorder.outcomes
}

/** Kills each process in turn, each once the last is back, letting the load settle between. */
export async function crashInTurn(
  ha: HaStack,
  recorder: Recorder,
  names: string[],
  settleMs: number,
  log: (line: string) => void = () => undefined,
): Promise<Fault[]> {
  const faults: Fault[] = []
  await sleep(settleMs)
  for (const name of names) {
    const fault: Fault = { name, atMs: recorder.now() }
    faults.push(fault)
    await ha.crash(name)
    fault.recoveredMs = recorder.now()
    log(`${name}: killed, back after ${Math.round(fault.recoveredMs - fault.atMs)} ms`)
    await sleep(settleMs)
  }
  return faults
}

/** The nats-server processes to kill: one node of each bus, a different node each time. */
export function busNodesToKill(names: string[]): string[] {
  const nats = names.filter((n) => n.startsWith('nats-'))
  const servers = [...new Set(nats.map((n) => n.replace(/\.\d+$/, '')))]
  return servers.map((server, i) => {
    const nodes = nats.filter((n) => n.startsWith(`${server}.`)).sort()
    return nodes.length ? nodes[i % nodes.length]! : server
  })
}

/** Every gateway process but the nats-servers and the demo upstream (the operator's API). */
export function stageProcesses(names: string[]): string[] {
  return names.filter((n) => !n.startsWith('nats-') && n !== 'demo' && n !== 'edge')
}

/** At most this many unanswered POSTs are retried with their key, this many at a time. */
const MAX_RETRIED = 300
const RETRY_PARALLEL = 20
const RETRY_ATTEMPTS = 5

export interface ExecutionCheck {
  posts: number
  /** Items the upstream executed more than once, keys that reached it more than once. */
  twice: string[]
  /** POSTs answered 201 whose item the upstream never executed. */
  answeredNotExecuted: string[]
  /** POSTs whose retry with the same key got a second execution or no 201. */
  retriesBad: string[]
  retried: number
  /** Keys the upstream was sent more than once (it honours them and replayed). */
  askedAgain: number
}

/**
 * Every POST executed at most once upstream (its unique item among the orders, and no
 * `Idempotency-Key` arriving twice), every 201 exactly once; with client keys, a
 * POST answered otherwise is retried with the same key (after Retry-After, a few times) and
 * must get 201 with still one execution (the first answer replayed or the first execution made).
 */
export async function checkExecutions(
  ha: HaStack,
  load: Load,
  outcomes: Outcome[],
): Promise<ExecutionCheck> {
  const posts = outcomes.filter((o) => o.kind === 'post')
  const retriesBad: string[] = []
  // A client's retry: the same key and body, after Retry-After, a few times at most; the
  // first MAX_RETRIED such POSTs, RETRY_PARALLEL at a time.
  const toRetry = load.clientKeys
    ? posts.filter((p) => verdictOf(p) !== 'normal').slice(0, MAX_RETRIED)
    : []
  const retry = async (o: Outcome) => {
    for (let attempt = 1; ; attempt++) {
      const again = await load.client.send('post', o.index)
      if (again.status === 201) return
      const retriable = again.code !== undefined && retryAfterOf(again.code) !== undefined
      if (!retriable || attempt === RETRY_ATTEMPTS) {
        retriesBad.push(`${o.item}: retry answered ${again.status} ${again.code ?? ''}`)
        return
      }
      await sleep(retryAfterOf(again.code!)! * 1000)
    }
  }
  for (let i = 0; i < toRetry.length; i += RETRY_PARALLEL)
    await Promise.all(toRetry.slice(i, i + RETRY_PARALLEL).map(retry))
  const retried = toRetry.length
  const executed = await ha.executions()
  const twice = posts.filter((o) => (executed.get(o.item!) ?? 0) > 1).map((o) => o.item!)
  // Every write that reached the upstream, by the key the backend gave it. An upstream that
  // honours the key may be asked again (it replays); one that does not, never.
  let askedAgain = 0
  for (const [key, n] of await ha.arrivals()) {
    if (n <= 1) continue
    if (ha.stack.config.upstreams.demo?.honoursIdempotencyKey) askedAgain++
    else twice.push(`key ${key}: ${n} arrivals`)
  }
  const answeredNotExecuted = posts
    .filter((o) => verdictOf(o) === 'normal' && (executed.get(o.item!) ?? 0) !== 1)
    .map((o) => o.item!)
  if (load.clientKeys) {
    for (const o of toRetry) {
      if ((executed.get(o.item!) ?? 0) !== 1)
        retriesBad.push(`${o.item}: executed ${executed.get(o.item!) ?? 0} times after its retry`)
    }
  }
  return { posts: posts.length, twice, answeredNotExecuted, retriesBad, retried, askedAgain }
}

export interface AuditCheck {
  checked: number
  /** Request ids with a stage's events missing, once the sink caught up (at most 20 shown). */
  missing: string[]
  missingCount: number
}

/** Waits until every normally answered request's events are in the store, or `waitMs` passed. */
export async function checkAudit(
  ha: HaStack,
  outcomes: Outcome[],
  waitMs: number,
): Promise<AuditCheck> {
  const ids = outcomes.filter((o) => verdictOf(o) === 'normal').map((o) => o.requestId)
  const deadline = Date.now() + waitMs
  for (;;) {
    const events = await ha.auditEvents(ids)
    const missingOf = (id: string) => {
      const have = new Set((events.get(id) ?? []).map((e) => e.slice(id.length + 1)))
      return AUDITED_STEPS.filter((step) => !have.has(step))
    }
    const missing = ids.filter((id) => missingOf(id).length > 0)
    if (missing.length === 0 || Date.now() > deadline) {
      const shown = missing.slice(0, 20).map((id) => `${id} lacks ${missingOf(id).join(', ')}`)
      return { checked: ids.length, missing: shown, missingCount: missing.length }
    }
    await sleep(1000)
  }
}
