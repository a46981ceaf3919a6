/**
 * The permission matrix, for each topology mode (`permission-matrix-<mode>.test.ts` runs it):
 * every identity, on every bus, tries every subject class (each
 * subject of `core/subjects` for every edge, host and stage, every identity's inbox, the
 * trust root, wide wildcards), every JetStream API and ack subject of every stream and
 * consumer, and connecting at all. The cells come from the topology, so a new identity,
 * bus, stream, host or edge is covered without a new line here; a new subject in
 * `core/subjects` does not compile until it has a class below.
 *
 * The expected cell comes from the design's role table (design.md §1 and §4, written out in
 * `ROLES` below), never from the grants under test. Every cell the table allows must work;
 * every other cell must be refused by the broker itself: a permissions violation for a
 * publish or a subscription, an authorization violation for a connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors, type NatsConnection } from '@nats-io/nats-core'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import {
  parseCleanRequest,
  RESPONSE_STAGES,
  subjects,
  type BusName,
  type ResponseStage,
} from '../../core/index.js'
import type { TopologyMode } from '../../config/index.js'
import {
  ADMIN,
  AUDIT_SINK,
  backendIdentity,
  inboxPrefixOf,
  natsServersOf,
  type ComponentKind,
  type Identity,
} from '../../topology/index.js'
import { idempotencyStoreOf } from '../../topology/description/idempotency.js'
import { connectAs } from '../../bus/index.js'
import { connectLinkWebsocket, startBuses, type BusHarness } from '../harness/buses.js'

// ---------------------------------------------------------------------------------------
// The design's role table (design.md §1 "who may touch which bus", §4 "the bus").

interface Role {
  /** The buses the component has any business on. */
  buses: BusName[]
  /** What it may publish on `bus`. */
  writes(who: Identity, bus: BusName, t: Target): boolean
  /** What it may subscribe to on `bus` (streams are read through consumers, never this way). */
  reads(who: Identity, bus: BusName, t: Target): boolean
}

const nothing = () => false

/** The bus each component writes its own audit events to (design §6: "its own bus"). */
function auditBusOf(mode: TopologyMode, who: Identity): BusName | undefined {
  switch (who.kind) {
    case 'edge':
      return 'link'
    case 'relay':
    case 'request-validator':
      return 'dreq'
    case 'backend':
      return mode === 'single-validation' ? 'dreq' : 'creq'
    case 'response-validator':
      return 'dresp'
    default:
      return undefined
  }
}

/** Writes its own audit subject on its audit bus, and nothing else there. */
const ownAudit = (mode: TopologyMode, who: Identity, bus: BusName, t: Target) =>
  t.cls === 'audit' && t.identity === who.id && auditBusOf(mode, who) === bus

function rolesFor(mode: TopologyMode): Record<ComponentKind, Role> {
  const buses: BusName[] =
    mode === 'single-validation'
      ? ['link', 'dreq', 'cresp']
      : ['link', 'dreq', 'creq', 'dresp', 'cresp']
  const audit = (role: Role): Role => ({
    ...role,
    writes: (who, bus, t) => ownAudit(mode, who, bus, t) || role.writes(who, bus, t),
  })
  const common = {
    // Link: its own request subject and its own inbox; nothing else.
    edge: audit({
      buses: ['link'],
      writes: (who, bus, t) => bus === 'link' && t.cls === 'link-request' && t.edge === who.edgeId,
      reads: (who, bus, t) => bus === 'link' && t.cls === 'link-inbox' && t.edge === who.edgeId,
    }),
    // Reads link requests and cresp; writes dreq and link replies.
    relay: audit({
      buses: ['link', 'dreq', 'cresp'],
      writes: (_, bus, t) =>
        (bus === 'link' && t.cls === 'link-inbox') || (bus === 'dreq' && t.cls === 'dirty-request'),
      reads: (_, bus, t) => bus === 'link' && t.cls === 'link-request',
    }),
    // Reads every bus's audit stream through its consumers; writes nothing onto any bus.
    'audit-sink': { buses, writes: nothing, reads: nothing },
    // Creates streams and consumers; no data plane.
    admin: { buses, writes: nothing, reads: nothing },
  } satisfies Partial<Record<ComponentKind, Role>>
  if (mode === 'single-validation') {
    // The backend validates: reads dreq for its host only, answers on cresp for it only.
    const absent: Role = { buses: [], writes: nothing, reads: nothing }
    return {
      ...common,
      'request-validator': absent,
      'response-validator': absent,
      backend: audit({
        buses: ['dreq', 'cresp'],
        writes: (who, bus, t) =>
          bus === 'cresp' &&
          t.cls === 'clean-response' &&
          t.stage === 'backend' &&
          t.host === who.host,
        reads: nothing,
      }),
    }
  }
  return {
    ...common,
    // Reads dreq; writes creq, and rejections toward the client on cresp as itself.
    'request-validator': audit({
      buses: ['dreq', 'creq', 'cresp'],
      writes: (_, bus, t) =>
        (bus === 'creq' && t.cls === 'clean-request') ||
        (bus === 'cresp' && t.cls === 'clean-response' && t.stage === 'request-validator'),
      reads: nothing,
    }),
    // Reads creq for its host only; writes dresp for its host only.
    backend: audit({
      buses: ['creq', 'dresp'],
      writes: (who, bus, t) => bus === 'dresp' && t.cls === 'dirty-response' && t.host === who.host,
      reads: nothing,
    }),
    // Reads dresp; writes cresp as itself.
    'response-validator': audit({
      buses: ['dresp', 'cresp'],
      writes: (_, bus, t) =>
        bus === 'cresp' && t.cls === 'clean-response' && t.stage === 'response-validator',
      reads: nothing,
    }),
  }
}

/**
 * Who owns a consumer (§1 "reads"; §4 fetch/ack rights): the audit sink every audit
 * stream's, the component that reads a bus the consumers of its data stream.
 */
function consumerOwner(mode: TopologyMode, bus: BusName, filter: string): string | undefined {
  if (filter === subjects.auditAll) return AUDIT_SINK
  switch (bus) {
    case 'dreq': {
      if (mode !== 'single-validation') return 'request-validator'
      const host = filter.split('.')[3]
      return filter === subjects.dirtyRequestForHost(host ?? 'x')
        ? backendIdentity(host!)
        : undefined
    }
    case 'creq': {
      const host = parseCleanRequest(filter)?.host
      return host && backendIdentity(host)
    }
    case 'dresp':
      return 'response-validator'
    case 'cresp':
      return 'relay'
    default:
      return undefined
  }
}

/**
 * True when `bus` holds the consumer `t` names and the design makes `who` its reader. The
 * same stream name (AUDIT) exists on every bus, so the consumer is looked up on `bus`.
 */
function ownsConsumerOn(mode: TopologyMode, who: Identity, bus: BusName, t: Target): boolean {
  const consumer = h.topology.streams
    .find((s) => s.bus === bus && s.name === t.stream)
    ?.consumers.find((c) => c.name === t.consumer)
  return consumer !== undefined && consumerOwner(mode, bus, consumer.filter) === who.id
}

function allowed(mode: TopologyMode, who: Identity, bus: BusName, op: Op, t: Target): boolean {
  const role = rolesFor(mode)[who.kind]
  if (op === 'publish') {
    switch (t.cls) {
      case 'management':
        return who.kind === 'admin'
      case 'consumer-api':
        return who.kind === 'admin' || ownsConsumerOn(mode, who, bus, t)
      case 'ack':
        return ownsConsumerOn(mode, who, bus, t)
      default:
        return role.writes(who, bus, t)
    }
  }
  // Replies to a component's JetStream calls come back to its own inbox; an edge has none.
  if (t.cls === 'inbox') {
    return (
      t.identity === who.id &&
      who.kind !== 'edge' &&
      (bus !== 'link' || who.kind === 'admin' || who.kind === 'audit-sink')
    )
  }
  return role.reads(who, bus, t)
}

// ---------------------------------------------------------------------------------------
// Subject classes, from core/subjects and the topology.

type Cls =
  | 'link-request'
  | 'link-inbox'
  | 'dirty-request'
  | 'clean-request'
  | 'dirty-response'
  | 'clean-response'
  | 'audit'
  | 'trust-root'
  | 'inbox'
  | 'default-inbox'
  | 'wide'
  | 'consumer-api'
  | 'ack'
  | 'management'

interface Target {
  cls: Cls
  subject: string
  wildcard: boolean
  edge?: string
  host?: string
  stage?: string
  /** An inbox's owner. */
  identity?: string
  /** For JetStream subjects: the bus that holds the stream, and the consumer's filter. */
  bus?: BusName
  filter?: string
  stream?: string
  consumer?: string
}

interface Scope {
  edges: string[]
  hosts: string[]
  stages: ResponseStage[]
  identities: string[]
}

function target(cls: Cls, subject: string, fields: Partial<Target> = {}): Target {
  return { cls, subject, wildcard: /(^|\.)[*>](\.|$)/.test(subject), ...fields }
}

const below = (prefix: string) => [`${prefix}.probe`, `${prefix}.>`]

/** Every subject builder of core/subjects, instantiated: adding one without a line here fails the typecheck. */
const SUBJECT_CLASSES: { [K in keyof typeof subjects]: (s: Scope) => Target[] } = {
  linkRequest: (s) =>
    s.edges.map((edge) => target('link-request', subjects.linkRequest(edge), { edge })),
  linkRequestAll: () => [target('link-request', subjects.linkRequestAll)],
  linkInbox: (s) =>
    s.edges.flatMap((edge) =>
      below(subjects.linkInbox(edge)).map((subject) => target('link-inbox', subject, { edge })),
    ),
  linkInboxAll: () => [target('link-inbox', subjects.linkInboxAll)],
  dirtyRequest: (s) =>
    s.edges.flatMap((edge) =>
      s.hosts.map((host) =>
        target('dirty-request', subjects.dirtyRequest(edge, host), { edge, host }),
      ),
    ),
  dirtyRequestAll: () => [target('dirty-request', subjects.dirtyRequestAll)],
  dirtyRequestForHost: (s) =>
    s.hosts.map((host) => target('dirty-request', subjects.dirtyRequestForHost(host), { host })),
  cleanRequest: (s) =>
    s.hosts.map((host) => target('clean-request', subjects.cleanRequest(host), { host })),
  cleanRequestAll: () => [target('clean-request', subjects.cleanRequestAll)],
  dirtyResponse: (s) =>
    s.hosts.map((host) => target('dirty-response', subjects.dirtyResponse(host), { host })),
  dirtyResponseAll: () => [target('dirty-response', subjects.dirtyResponseAll)],
  cleanResponse: (s) =>
    s.stages.flatMap((stage) =>
      s.hosts.map((host) =>
        target('clean-response', subjects.cleanResponse(stage, host), { stage, host }),
      ),
    ),
  cleanResponseAll: () => [target('clean-response', subjects.cleanResponseAll)],
  cleanResponseOf: (s) =>
    s.stages.map((stage) => target('clean-response', subjects.cleanResponseOf(stage), { stage })),
  audit: (s) =>
    s.identities.map((identity) => target('audit', subjects.audit(identity), { identity })),
  auditAll: () => [target('audit', subjects.auditAll)],
  trustRoot: () => [target('trust-root', subjects.trustRoot('probe'))],
  trustRootAll: () => [target('trust-root', subjects.trustRootAll)],
}

/** The JetStream API: what only admin may do, and each consumer's fetch, inspect and ack. */
function jetstreamTargets(h: BusHarness): Target[] {
  const out: Target[] = [
    target('management', '$JS.API.INFO'),
    target('management', '$JS.API.STREAM.CREATE.PROBE'),
    target('management', '$JS.API.STREAM.LIST'),
    target('management', '$JS.API.STREAM.NAMES'),
  ]
  for (const stream of h.topology.streams) {
    const s = stream.name
    const bus = stream.bus
    for (const api of [
      `STREAM.UPDATE.${s}`,
      `STREAM.DELETE.${s}`,
      `STREAM.PURGE.${s}`,
      `STREAM.INFO.${s}`,
      `STREAM.MSG.GET.${s}`,
      `STREAM.MSG.DELETE.${s}`,
      `DIRECT.GET.${s}`,
      `CONSUMER.CREATE.${s}`,
      `CONSUMER.CREATE.${s}.probe`,
      `CONSUMER.CREATE.${s}.probe.${stream.subjects[0]!.replace('>', 'x')}`,
      `CONSUMER.DURABLE.CREATE.${s}.probe`,
      `CONSUMER.LIST.${s}`,
      `CONSUMER.NAMES.${s}`,
    ]) {
      out.push(target('management', `$JS.API.${api}`, { bus }))
    }
    // Its consumers, and one nobody owns: a wildcard over consumer names shows up there.
    for (const c of [...stream.consumers, { name: 'probe', filter: undefined }]) {
      const fields = {
        bus,
        stream: s,
        consumer: c.name,
        ...(c.filter === undefined ? {} : { filter: c.filter }),
      }
      out.push(
        target('management', `$JS.API.CONSUMER.DELETE.${s}.${c.name}`, fields),
        target('consumer-api', `$JS.API.CONSUMER.INFO.${s}.${c.name}`, fields),
        target('consumer-api', `$JS.API.CONSUMER.MSG.NEXT.${s}.${c.name}`, fields),
        target('ack', `$JS.ACK.${s}.${c.name}.1.1.1.1.1`, fields),
      )
    }
  }
  return out
}

function allTargets(h: BusHarness): Target[] {
  const edges = h.topology.identities.flatMap((i) => (i.edgeId ? [i.edgeId] : []))
  const scope: Scope = {
    // One edge and one host the topology does not know, to catch a wildcard in the wrong place.
    edges: [...edges, 'stranger'],
    hosts: [...Object.keys(h.config.upstreams), 'stranger'],
    stages: [...RESPONSE_STAGES],
    identities: [...h.topology.identities.map((i) => i.id), 'stranger'],
  }
  const targets = [
    ...Object.values(SUBJECT_CLASSES).flatMap((make) => make(scope)),
    ...h.topology.identities.flatMap((i) =>
      below(inboxPrefixOf(i.id)).map((subject) => target('inbox', subject, { identity: i.id })),
    ),
    ...below('_INBOX').map((subject) => target('default-inbox', subject)),
    ...['>', 'pc.>', '*.>', '$JS.>', '$JS.API.>', '$JS.ACK.>', '$JS.EVENT.>', '$SYS.>'].map(
      (subject) => target('wide', subject),
    ),
    ...jetstreamTargets(h),
  ]
  const seen = new Set<string>()
  return targets.filter((t) => !seen.has(t.subject) && seen.add(t.subject))
}

// ---------------------------------------------------------------------------------------
// Cells, their groups and the probes.

type Op = 'connect' | 'publish' | 'subscribe' | 'queue-subscribe'
type Outcome = 'allowed' | 'refused' | `error: ${string}`

interface Cell {
  identity: Identity
  bus: BusName
  transport: 'tcp' | 'websocket'
  op: Op
  target?: Target
  expected: boolean
  group: GroupId
  outcome?: Outcome
}

/** The groups of cells, each named for the attack it refuses (`it.each` rows, for the catalog). */
const GROUPS: Array<[name: string]> = [
  [
    'BUS-210 no identity reaches a bus its row does not name, and only an edge (over WebSocket only) reaches the link listener it uses',
  ],
  [
    'BUS-211 an edge publishes only its own request subject: never under another edge id, into an inbox, or on any bus subject',
  ],
  [
    "BUS-212 an edge reads only its own inbox: never another edge's inbox, the link requests or a wildcard",
  ],
  [
    'BUS-213 each bus subject is written only by the stage the design names, under its own caller segment',
  ],
  [
    'BUS-214 no component subscribes to a stream, link or wide subject it does not read, in a queue group or not',
  ],
  ["BUS-215 no identity reads or writes another identity's inbox or the default inbox"],
  ["BUS-216 no identity fetches from, acks or inspects another component's consumer"],
  [
    'BUS-217 no component but admin creates, updates, deletes or purges streams and consumers or reads stored messages',
  ],
  ['BUS-218 admin has no data plane: it publishes and reads no bus subject and acks nothing'],
  ['BUS-219 nothing touches the trust root, not even through a wildcard'],
  [
    "BUS-226 a component publishes audit events only under its own identity on its own bus, and nobody subscribes to another's",
  ],
  [
    "BUS-220 a backend connector neither receives another host's clean requests nor answers for that host",
  ],
]
type GroupId = string
const idOf = (name: string): GroupId => name.slice(0, name.indexOf(' '))

function groupOf(who: Identity, op: Op, t: Target | undefined): GroupId {
  if (op === 'connect' || !t) return 'BUS-210'
  if (t.cls === 'trust-root') return 'BUS-219'
  if (t.cls === 'audit') return 'BUS-226'
  if (who.kind === 'edge') return op === 'publish' ? 'BUS-211' : 'BUS-212'
  if (who.kind === 'admin' && !['management', 'consumer-api'].includes(t.cls)) return 'BUS-218'
  if (who.kind === 'backend') {
    const own = [subjects.cleanRequest(who.host!), subjects.dirtyRequestForHost(who.host!)]
    const otherHost =
      (t.host && t.host !== who.host) ||
      (t.filter && t.filter !== subjects.auditAll && !own.includes(t.filter))
    if (otherHost && t.cls !== 'management') return 'BUS-220'
  }
  if (t.cls === 'management') return 'BUS-217'
  if (t.cls === 'consumer-api' || t.cls === 'ack') return 'BUS-216'
  if (t.cls === 'inbox' || t.cls === 'default-inbox') return 'BUS-215'
  return op === 'publish' ? 'BUS-213' : 'BUS-214'
}

/** Not JSON: an allowed JetStream API call answers with an error and changes nothing. */
const PROBE = new TextEncoder().encode('{probe')
/** After the PONG, how long to let the client hand on what arrived before it. */
const SETTLE_MS = 50
const SUBSCRIBE_SETTLE_MS = 100

function isPermissionViolation(e: unknown): boolean {
  const err = e as Error & { cause?: unknown }
  return (
    err instanceof errors.PermissionViolationError ||
    err?.cause instanceof errors.PermissionViolationError
  )
}

function isAuthorizationError(e: unknown): boolean {
  const err = e as Error & { cause?: unknown }
  return err instanceof errors.AuthorizationError || err?.cause instanceof errors.AuthorizationError
}

const describeError = (e: unknown): Outcome => `error: ${(e as Error)?.message ?? String(e)}`

/** Subjects the broker refused to take from each connection, from its -ERR lines. */
const refusedPublishes = new WeakMap<NatsConnection, Set<string>>()

function watchRefusals(nc: NatsConnection): NatsConnection {
  const refused = new Set<string>()
  refusedPublishes.set(nc, refused)
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type !== 'error' || !(s.error instanceof errors.PermissionViolationError)) continue
      if (s.error.operation === 'publish') refused.add(s.error.subject)
    }
  })()
  return nc
}

/**
 * A plain publish (a request would need an inbox the identity may not have on this bus):
 * the broker answers a refused one with -ERR before the PONG of the flush that follows.
 */
async function publishOutcome(nc: NatsConnection, subject: string): Promise<Outcome> {
  nc.publish(subject, PROBE)
  await nc.flush()
  await new Promise((r) => setTimeout(r, SETTLE_MS))
  return refusedPublishes.get(nc)!.has(subject) ? 'refused' : 'allowed'
}

/** A refused subscription is closed by the broker's -ERR, which arrives before the PONG. */
async function subscribeOutcome(
  nc: NatsConnection,
  subject: string,
  queue?: string,
): Promise<Outcome> {
  const sub = nc.subscribe(subject, queue ? { queue } : {})
  await nc.flush()
  const closed = await Promise.race([
    sub.closed.then((e) => e ?? new Error('closed')),
    new Promise<'open'>((r) => setTimeout(() => r('open'), SUBSCRIBE_SETTLE_MS)),
  ])
  if (closed === 'open') {
    sub.unsubscribe()
    return 'allowed'
  }
  return isPermissionViolation(closed) ? 'refused' : describeError(closed)
}

// ---------------------------------------------------------------------------------------

let h: BusHarness
let mode: TopologyMode
let cells: Cell[] = []
let websockets: NatsConnection[] = []
let elapsedMs = 0

/** What became of a connection attempt: the broker's refusal is an authorization violation. */
function dialOutcome(dial: Promise<NatsConnection>): Promise<Outcome> {
  return dial.then(
    () => 'allowed',
    (e: unknown) => (isAuthorizationError(e) ? 'refused' : describeError(e)),
  )
}

/**
 * Dials `identity` on a bus its row does not name, once, as it dials its own buses: where
 * the topology gives it no user there, it presents the credential of a bus it does have, at
 * this one's address. The broker, not the client, must refuse it.
 */
function foreignDial(identity: string, bus: BusName): Promise<NatsConnection> {
  const topology = structuredClone(h.topology)
  const target = topology.buses.find((s) => s.name === bus)!
  let as = target
  if (!target.grants.some((g) => g.identity === identity)) {
    as = topology.buses.find((s) => s.grants.some((g) => g.identity === identity))!
    as.port = target.port
    as.ports = target.ports
  }
  return connectAs({ topology, keysDir: h.keysDir, identity, bus: as.name }).then(
    async (nc) => (await nc.close(), nc),
  )
}

function cell(
  identity: Identity,
  bus: BusName,
  transport: Cell['transport'],
  op: Op,
  t: Target | undefined,
  expected: boolean,
): Cell {
  const c: Cell = { identity, bus, transport, op, expected, group: groupOf(identity, op, t) }
  if (t) c.target = t
  cells.push(c)
  return c
}

/** Every cell at once, over one connection per (identity, bus) the design allows. */
async function runMatrix(): Promise<void> {
  const targets = allTargets(h)
  const runs: Array<Promise<void>> = []
  const record = (c: Cell, outcome: Promise<Outcome>) =>
    runs.push(outcome.then((o) => void (c.outcome = o)))

  const roles = rolesFor(mode)
  // single-nats: one listener for every bus; a credential for another bus is admitted, into
  // that bus's account (BUS-225 shows the accounts share nothing), so no off-row dial is tried.
  const shared = new Set(natsServersOf(h.topology).map((s) => s.group)).size === 1
  for (const identity of h.topology.identities) {
    const role = roles[identity.kind]
    const isEdge = identity.kind === 'edge'
    // The link's WebSocket listener is the edges' only way in, and nobody else's.
    const ws = cell(identity, 'link', 'websocket', 'connect', undefined, isEdge)
    if (!isEdge) {
      const dial = connectLinkWebsocket(h, identity.id).then(async (nc) => (await nc.close(), nc))
      record(ws, dialOutcome(dial))
    }

    for (const spec of h.topology.buses) {
      const bus = spec.name
      const onRow = role.buses.includes(bus)
      const tcp = cell(identity, bus, 'tcp', 'connect', undefined, onRow && !isEdge)
      if (!onRow || isEdge) {
        if (shared && !isEdge) cells.pop()
        else record(tcp, dialOutcome(foreignDial(identity.id, bus)))
      }
      if (!onRow) continue

      const dialed = isEdge
        ? connectLinkWebsocket(h, identity.id).then((nc) => (websockets.push(nc), nc))
        : h.connect(identity.id, bus)
      record(isEdge ? ws : tcp, dialOutcome(dialed))
      const nc = dialed.then(watchRefusals)
      for (const t of targets) {
        const probes: Array<[Op, (nc: NatsConnection) => Promise<Outcome>]> = [
          ['subscribe', (nc) => subscribeOutcome(nc, t.subject)],
          ['queue-subscribe', (nc) => subscribeOutcome(nc, t.subject, 'probe')],
        ]
        if (!t.wildcard) probes.push(['publish', (nc) => publishOutcome(nc, t.subject)])
        for (const [op, probe] of probes) {
          const expected = allowed(
            mode,
            identity,
            bus,
            op === 'publish' ? 'publish' : 'subscribe',
            t,
          )
          const c = cell(identity, bus, isEdge ? 'websocket' : 'tcp', op, t, expected)
          record(c, nc.then(probe).catch(describeError))
        }
      }
    }
  }
  await Promise.all(runs)
}

const label = (c: Cell) =>
  `${c.identity.id}@${c.bus}${c.transport === 'websocket' ? '(ws)' : ''} ${c.op}${c.target ? ` ${c.target.subject}` : ''}: expected ${c.expected ? 'allowed' : 'refused'}, got ${c.outcome}`

/** The whole matrix, on real servers of one topology mode (one test file per mode). */
export function permissionMatrix(current: TopologyMode, options: { nodes?: 1 | 3 } = {}): void {
  const nodes = options.nodes ?? 1
  describe(`the ${current} topology${nodes === 3 ? ', three nodes per bus' : ''}`, () => {
    beforeAll(async () => {
      mode = current
      cells = []
      websockets = []
      h = await startBuses({
        topology: mode,
        bus: { nodes },
        // A second edge and a second upstream, so every cross-edge and cross-host cell exists.
        edge: { peers: ['peer'] },
        upstreams: { other: { baseUrl: 'http://127.0.0.1:9', openapi: 'demo/openapi.json' } },
      })
      const started = performance.now()
      await runMatrix()
      elapsedMs = performance.now() - started
    }, 60_000)

    afterAll(async () => {
      const rows = GROUPS.map(([name]) => idOf(name)).map((id) => {
        const mine = cells.filter((c) => c.group === id)
        const ok = mine.filter((c) => c.outcome === 'allowed').length
        return `  ${id}  ${String(mine.length).padStart(5)} cells  ${String(ok).padStart(4)} allowed  ${String(mine.filter((c) => c.outcome === 'refused').length).padStart(5)} refused`
      })
      const allowedCount = cells.filter((c) => c.outcome === 'allowed').length
      const refusedCount = cells.filter((c) => c.outcome === 'refused').length
      console.log(
        [
          `permission matrix (${mode}, nodes ${nodes}): ${cells.length} cells tried in ${Math.round(elapsedMs)} ms, ${allowedCount} allowed, ${refusedCount} refused by the broker`,
          ...rows,
        ].join('\n'),
      )
      await Promise.allSettled(websockets.map((nc) => nc.close()))
      await h?.stop()
    }, 30_000)

    describe('the permission matrix', () => {
      it('covers every identity on every bus, every subject class and the JetStream API', () => {
        expect(cells.every((c) => c.outcome !== undefined)).toBe(true)
        const kinds = new Set(h.topology.identities.map((i) => i.kind))
        const roles = rolesFor(mode)
        const present = (Object.keys(roles) as ComponentKind[]).filter((k) => roles[k].buses.length)
        expect([...kinds].sort()).toEqual(present.sort())
        const classes = new Set(cells.flatMap((c) => (c.target ? [c.target.cls] : [])))
        expect(classes.size).toBe(14)
        expect(cells.length).toBeGreaterThan(2_000)
      })

      it("every cell the design's table allows works (the matrix's own control)", () => {
        const missing = cells.filter((c) => c.expected && c.outcome !== 'allowed').map(label)
        expect(missing).toEqual([])
        expect(cells.filter((c) => c.expected).length).toBeGreaterThan(50)
      })

      it.each(GROUPS)('%s', (name) => {
        const mine = cells.filter((c) => c.group === idOf(name))
        expect(mine.length).toBeGreaterThan(0)
        expect(
          mine.filter((c) => c.outcome !== (c.expected ? 'allowed' : 'refused')).map(label),
        ).toEqual([])
      })
    })

    if (current !== 'single-validation')
      describe('per-host scoping at work', () => {
        it("BUS-221 a clean request for one host reaches only that host's connector, and another host's connector cannot answer for it", async () => {
          const admin = (bus: BusName) => h.connect(ADMIN, bus).then(jetstreamManager)
          await Promise.all([
            (await admin('creq')).streams.purge('CREQ'),
            (await admin('dresp')).streams.purge('DRESP'),
          ])

          // Each connector's consumer holds its own host's subject and nothing else.
          for (const host of Object.keys(h.config.upstreams)) {
            const info = await (await admin('creq')).consumers.info('CREQ', backendIdentity(host))
            expect(info.config.filter_subject).toBe(subjects.cleanRequest(host))
          }

          const validator = jetstream(await h.connect('request-validator', 'creq'))
          await validator.publish(subjects.cleanRequest('other'), PROBE, { msgID: 'bus-221' })

          // backend-demo: its own consumer has nothing; the other host's consumer is not its to read.
          const demo = jetstream(await h.connect(backendIdentity('demo'), 'creq'))
          const own = await demo.consumers.get('CREQ', backendIdentity('demo'))
          expect(await own.next({ expires: 1_000 })).toBeNull()
          const foreign = await demo.consumers.get('CREQ', backendIdentity('other')).then(
            () => 'opened',
            (e: unknown) => (isPermissionViolation(e) ? 'refused' : describeError(e)),
          )
          expect(foreign).toBe('refused')

          // backend-other gets it.
          const other = jetstream(await h.connect(backendIdentity('other'), 'creq'))
          const msg = await (
            await other.consumers.get('CREQ', backendIdentity('other'))
          ).next({ expires: 2_000 })
          expect(msg?.subject).toBe(subjects.cleanRequest('other'))
          await msg?.ackAck()

          // backend-demo answering for `other` on dresp: the broker drops it, the stream never holds it.
          const dresp = await h.connect(backendIdentity('demo'), 'dresp').then(watchRefusals)
          expect(await publishOutcome(dresp, subjects.dirtyResponse('other'))).toBe('refused')
          const stored = await (await admin('dresp')).streams.info('DRESP')
          expect(stored.state.messages).toBe(0)
        })
      })

    if (current === 'single-nats') {
      it('BUS-225 single-nats: every bus is an account of its own on the one server, sharing no stream', async () => {
        expect(natsServersOf(h.topology)).toHaveLength(nodes)
        for (const stream of h.topology.streams) {
          const jsm = await jetstreamManager(await h.connect(ADMIN, stream.bus))
          const names: string[] = []
          for await (const name of jsm.streams.names()) names.push(name)
          const own = h.topology.streams.filter((s) => s.bus === stream.bus).map((s) => s.name)
          // The backend connectors' replay store lives in its bus's account too.
          const idem = idempotencyStoreOf(h.topology)
          if (idem.bus === stream.bus) own.push(idem.name)
          expect(names.sort(), stream.bus).toEqual(own.sort())
        }
        // relay's dreq credential opens the dreq account: what it publishes lands in DREQ alone.
        const counts = async () => {
          const out: Record<string, number> = {}
          for (const stream of h.topology.streams) {
            const jsm = await jetstreamManager(await h.connect(ADMIN, stream.bus))
            out[`${stream.bus}/${stream.name}`] = (
              await jsm.streams.info(stream.name)
            ).state.messages
          }
          return out
        }
        const before = await counts()
        const relay = jetstream(await h.connect('relay', 'dreq'))
        await relay.publish(subjects.dirtyRequest('local', 'demo'), PROBE, { msgID: 'bus-225' })
        expect(await counts()).toEqual({ ...before, 'dreq/DREQ': before['dreq/DREQ']! + 1 })
      })
    }
  })
}
