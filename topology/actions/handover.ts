/**
 * One node of a clustered bus handed over before it stops and taken back after it starts, so
 * a rolling restart never leaves a stream or a consumer without a leader or a quorum:
 * - before: every stream and consumer the node leads steps down, and the node stops only once
 *   another node leads each of them, instead of after an election timeout once it is gone;
 * - after: waits until every stream and consumer on the bus lists the node as a replica that
 *   is caught up again (current, or a few entries behind and answering). Only then may the next node go: two nodes of three behind at
 *   once is no quorum, and every publish waits.
 * Through a connection as the admin identity, whose grant is the JetStream API.
 */
import type { NatsConnection } from '@nats-io/nats-core'
import { failureReason, SetupError } from '../../core/index.js'
import {
  jetstreamManager,
  type ClusterInfo,
  type JetStreamManager,
  type PeerInfo,
} from '@nats-io/jetstream'

const POLL_MS = 200
/**
 * How long every look must find the node caught up before the next node may go. One good
 * look is not enough: a node still taking a snapshot from its leader can show a small lag
 * for a moment, and the next node's restart then leaves the bus without quorum (seen as a
 * stream with no leader for over ten seconds).
 */
const STEADY_MS = 1_000
const REQUEST_TIMEOUT_MS = 2_000
/**
 * A follower counts as caught up when the leader has heard from it lately and it trails the
 * commit by no more than this many entries. `current` alone is stricter than quorum needs:
 * nats-server sets it only when the follower has acknowledged everything the leader applied,
 * and under steady load the slowest of three (the one just restarted, on a busy machine) can
 * stay an entry or two behind at every look while it acknowledges every append.
 */
const LAG_SLACK = 64
const SEEN_WITHIN_NS = 2_000 * 1e6

interface Led {
  stream: string
  consumer?: string
  cluster?: ClusterInfo
}

async function everyReplicated(jsm: JetStreamManager): Promise<Led[]> {
  const out: Led[] = []
  for await (const si of jsm.streams.list()) {
    if ((si.config.num_replicas ?? 1) < 2) continue
    const stream = si.config.name
    out.push({ stream, ...(si.cluster ? { cluster: si.cluster } : {}) })
    for await (const ci of jsm.consumers.list(stream)) {
      out.push({ stream, consumer: ci.name, ...(ci.cluster ? { cluster: ci.cluster } : {}) })
    }
  }
  return out
}

const nameOf = (l: Led) => (l.consumer ? `${l.stream}/${l.consumer}` : l.stream)

/**
 * Moves every stream and consumer that `server` leads to another node, and resolves once
 * none is led by it and each has a leader elsewhere. A step-down request can be lost or
 * refused under load; then the node would stop as a leader and its streams would wait out
 * an election (4 to 9 s in nats-server 2.9, longer on a loaded machine) before taking a
 * publish again. So it asks again until the leadership has really moved. Returns how many
 * it moved; throws BUS_NOT_READY after `timeoutMs`.
 */
export async function stepDownLeaders(
  nc: NatsConnection,
  server: string,
  timeoutMs = 10_000,
): Promise<number> {
  const until = Date.now() + timeoutMs
  const moved = new Set<string>()
  let last: string[] = []
  for (;;) {
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false })
      const all = await everyReplicated(jsm)
      const led = all.filter((l) => l.cluster?.leader === server)
      const moving = all.filter((l) => moved.has(nameOf(l)) && !l.cluster?.leader)
      last = [
        ...led.map((l) => `${nameOf(l)} (still led by it)`),
        ...moving.map((l) => `${nameOf(l)} (no leader yet)`),
      ]
      if (last.length === 0) return moved.size
      for (const l of led) {
        moved.add(nameOf(l))
        const subject = l.consumer
          ? `$JS.API.CONSUMER.LEADER.STEPDOWN.${l.stream}.${l.consumer}`
          : `$JS.API.STREAM.LEADER.STEPDOWN.${l.stream}`
        await nc.request(subject, undefined, { timeout: REQUEST_TIMEOUT_MS }).catch(() => undefined)
      }
    } catch (e) {
      last = [`the JetStream API: ${failureReason(e)}`]
    }
    if (Date.now() > until) {
      throw new SetupError(
        'BUS_NOT_READY',
        `${server} did not hand over its leaders in ${timeoutMs} ms: ${last.join(', ')}`,
      )
    }
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

/** Whether a follower may count toward quorum while the next node restarts. */
export function isCaughtUp(p: PeerInfo): boolean {
  if (p.offline) return false
  return p.current || ((p.lag ?? Infinity) <= LAG_SLACK && (p.active ?? Infinity) <= SEEN_WITHIN_NS)
}

/** What is not yet back on `server`: leaderless, or the node not a current replica. */
function behind(all: Led[], server: string): string[] {
  const out: string[] = []
  for (const l of all) {
    const c = l.cluster
    if (!c?.leader) {
      out.push(`${nameOf(l)} (no leader)`)
      continue
    }
    if (c.leader === server) continue
    const replica = c.replicas?.find((r) => r.name === server)
    if (!replica) out.push(`${nameOf(l)} (not a replica)`)
    else if (!isCaughtUp(replica)) {
      const seen = Math.round((replica.active ?? 0) / 1e6)
      const state = replica.offline ? 'offline' : 'not current'
      out.push(`${nameOf(l)} (${state}, lag ${replica.lag ?? '?'}, seen ${seen} ms ago)`)
    }
  }
  return out
}

/**
 * Resolves once every replicated stream and consumer has a leader and counts `server` as a
 * current replica, on every look for `STEADY_MS`; throws after `timeoutMs`, naming what is
 * still behind.
 */
export async function waitCaughtUp(
  nc: NatsConnection,
  server: string,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs
  let last: string[] = []
  let steadySince: number | undefined
  for (;;) {
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false })
      last = behind(await everyReplicated(jsm), server)
    } catch (e) {
      last = [`the JetStream API: ${failureReason(e)}`]
    }
    if (last.length > 0) steadySince = undefined
    else {
      steadySince ??= Date.now()
      if (Date.now() - steadySince >= STEADY_MS) return
    }
    if (Date.now() > until) {
      throw new SetupError(
        'BUS_NOT_READY',
        `${server} not caught up after ${timeoutMs} ms: ${last.join(', ')}`,
      )
    }
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}
