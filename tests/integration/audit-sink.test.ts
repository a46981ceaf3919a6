/**
 * The audit sink as `portcullis up` runs it: its bundle in a child process of its own, reading
 * the AUDIT stream of five real nats-servers into the audit store, on embedded PGlite and on a
 * real PostgreSQL this file starts (there through a login that holds only the writer role, its
 * URL in PORTCULLIS_AUDIT_DATABASE_URL). Components' events are published as the components
 * publish them: gathered into lists, one JetStream publish per list with a random Nats-Msg-Id
 * (`createAuditPublisher`), the edge's one event per plain publish over the link's WebSocket. The sink acks only after commit, so
 * once every AUDIT stream is empty every event is in the store; the trail is then read back
 * with the store's own code and verified. Its syslog mirror goes to a real rsyslogd.
 *
 * Bus timing is shortened (ack wait 1 s, 4 deliveries) so that redeliveries after a kill come
 * fast and a store outage can outlast every delivery within a test's time.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newRequestId, subjects, type AuditEvent, type BusName } from '../../core/index.js'
import { ADMIN, AUDIT_SINK, AUDIT_STREAM, auditBusOf } from '../../topology/index.js'
import {
  AUDIT_BATCH_EVENTS,
  createAuditPublisher,
  type AuditPublisher,
  type AuditRecord,
} from '../../bus/index.js'
import { createLogger } from '../../runtime/index.js'
import { READY_LINE } from '../../runtime/main.js'
import { buildProcesses } from '../../cli/build.js'
import { spawnComponent, type ManagedProcess } from '../../cli/processes.js'
import {
  AUDIT_DATABASE_URL_ENV,
  auditKeyPaths,
  migrateAuditDatabase,
  openAuditDatabase,
  readAuditPublicKey,
  verifyAudit,
  WRITER_ROLE,
  type AuditVerification,
} from '../../audit/store/index.js'
import { SD_ID } from '../../audit/mirrors/index.js'
import { AUDIT_EVENT_INVALID } from '../../audit/sink/constants.js'
import { connectLinkWebsocket, startBuses, type BusHarness } from '../harness/buses.js'
import { startPostgres, type PostgresHarness } from '../harness/postgres.js'
import { startRsyslog, type ReceivedSyslog, type RsyslogHarness } from '../harness/rsyslog.js'

type Backend = 'pglite' | 'postgres'

const SINK_MAIN = 'audit/sink/main.ts'
const AUDIT_BUSES: BusName[] = ['link', 'dreq', 'creq', 'dresp', 'cresp']
const ACK_WAIT_MS = 1_000
const MAX_DELIVER = 4
const DRAIN_TIMEOUT_MS = 20_000

/** One row of the trail, the fields these tests look at. */
interface TrailRow {
  seq: number
  eventId: string
  requestId: string
  stage: string
  component: string
  verdict: string
  code: string | null
  reason: string | null
}

interface Trail {
  rows: TrailRow[]
  verification: AuditVerification
}

interface Sink extends ManagedProcess {
  /** Its log lines (stdout and stderr), for failure messages. */
  lines: string[]
  /** SIGKILL: no stop, no flush, no closing checkpoint. */
  kill(): Promise<void>
  /** Still running. */
  alive(): boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const encode = (v: unknown) =>
  new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))
const quiet = createLogger('error')

/** An event as a component would write it, for payloads published by hand. */
function eventOf(identity: string, rid: string, step: string, extra: object = {}): AuditEvent {
  const stage = identity.startsWith('edge-')
    ? 'edge'
    : identity.startsWith('backend-')
      ? 'backend'
      : (identity as AuditEvent['stage'])
  return {
    id: `${rid}/${identity}/${step}`,
    time: new Date().toISOString(),
    requestId: rid,
    stage,
    component: identity,
    verdict: 'accept',
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    status: 200,
    ...extra,
  }
}

function recordOf(rid: string, step: string, stage: AuditRecord['stage']): AuditRecord {
  return {
    step,
    stage,
    verdict: 'accept',
    request: { requestId: rid, method: 'POST', host: 'demo', port: 443, path: '/orders' },
    status: 200,
    startedAt: Date.now() - 2,
    actor: 'alice',
    body: encode({ item: 'tea', quantity: 2 }),
  }
}

let root: string
let bundle: string
let rsyslog: RsyslogHarness

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'portcullis-audit-sink-'))
  const built = await buildProcesses(join(root, 'build'), [SINK_MAIN])
  bundle = built[SINK_MAIN]
  rsyslog = await startRsyslog()
})

afterAll(async () => {
  await rsyslog?.stop()
  if (root) rmSync(root, { recursive: true, force: true })
})

describe.each<Backend>(['pglite', 'postgres'])('audit sink on %s', (backend) => {
  let h: BusHarness
  let postgres: PostgresHarness | undefined
  /** The sink's login on PostgreSQL: holds only the writer role. */
  let sinkUrl: string | undefined
  let running: Sink | undefined
  const managers = new Map<BusName, JetStreamManager>()
  const publishers = new Map<string, AuditPublisher>()
  const appName = `pc-${backend}`

  beforeAll(async () => {
    h = await startBuses({
      bus: { ackWaitMs: ACK_WAIT_MS, maxDeliver: MAX_DELIVER },
      audit: { syslog: { host: '127.0.0.1', port: rsyslog.udpPort, transport: 'udp', appName } },
    })
    for (const bus of AUDIT_BUSES)
      managers.set(bus, await jetstreamManager(await h.connect(ADMIN, bus)))
    for (const identity of ['relay', 'request-validator', 'backend-demo', 'response-validator']) {
      const nc = await h.connect(identity, auditBusOf(h.topology, identity))
      publishers.set(
        identity,
        createAuditPublisher({
          buses: { on: () => nc },
          topology: h.topology,
          identity,
          log: quiet,
        }),
      )
    }
    if (backend === 'postgres') {
      postgres = await startPostgres()
      // The owner migrates once; the sink then logs in holding only the writer role.
      const owner = await openAuditDatabase({ databaseUrl: postgres.url, dataDir: h.dir })
      await migrateAuditDatabase(owner)
      const password = randomBytes(18).toString('base64url')
      await owner.query(
        `CREATE ROLE audit_sink LOGIN PASSWORD '${password}' IN ROLE ${WRITER_ROLE}`,
      )
      await owner.close()
      const url = new URL(postgres.url)
      url.username = 'audit_sink'
      url.password = password
      sinkUrl = url.toString()
    }
  })

  afterAll(async () => {
    await running?.stop()
    await h?.stop()
    await postgres?.stop()
  })

  async function startSink(): Promise<Sink> {
    const env: NodeJS.ProcessEnv = { ...process.env, PORTCULLIS_LOG_LEVEL: 'info' }
    delete env[AUDIT_DATABASE_URL_ENV]
    if (sinkUrl) env[AUDIT_DATABASE_URL_ENV] = sinkUrl
    const lines: string[] = []
    const proc = await spawnComponent({
      name: AUDIT_SINK,
      command: process.execPath,
      args: [bundle, '--config', h.configFile],
      env,
      readyLine: READY_LINE,
      readyTimeoutMs: 30_000,
      onLine: (_name, line) => lines.push(line),
    }).catch((e: Error) => {
      throw new Error(`${e.message}; it said:\n${lines.join('\n')}`)
    })
    let exited = false
    void proc.exited.then(() => (exited = true))
    const sink: Sink = {
      ...proc,
      lines,
      alive: () => !exited,
      async kill() {
        process.kill(proc.pid, 'SIGKILL')
        await proc.exited
      },
    }
    running = sink
    return sink
  }

  async function stopSink(sink: Sink): Promise<number | null> {
    await sink.stop()
    if (running === sink) running = undefined
    return sink.exited
  }

  async function killSink(sink: Sink): Promise<void> {
    await sink.kill()
    if (running === sink) running = undefined
  }

  const streamOf = (bus: BusName) => managers.get(bus)!.streams.info(AUDIT_STREAM)

  /** Waits until `bus`'s AUDIT stream has stored `count` messages past `from` (a plain publish has no ack). */
  async function stored(bus: BusName, from: number, count: number): Promise<void> {
    const deadline = Date.now() + 5_000
    while ((await streamOf(bus)).state.last_seq < from + count) {
      if (Date.now() > deadline) throw new Error(`${bus}: ${count} messages not stored in time`)
      await sleep(20)
    }
  }

  /** Every AUDIT stream empty: the sink acks after commit, so everything taken is in the store. */
  async function drained(sink?: Sink): Promise<void> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS
    for (;;) {
      const held = await Promise.all(
        AUDIT_BUSES.map(async (b) => [b, (await streamOf(b)).state.messages] as const),
      )
      if (held.every(([, n]) => n === 0)) return
      if (Date.now() > deadline) {
        throw new Error(
          `AUDIT streams still hold ${held.map(([b, n]) => `${b}=${n}`).join(' ')}; the sink said:\n` +
            (sink?.lines.slice(-20).join('\n') ?? '(no sink)'),
        )
      }
      await sleep(100)
    }
  }

  /** The whole trail and its verification. The embedded store serves one process: stop the sink first. */
  async function readTrail(): Promise<Trail> {
    if (backend === 'pglite')
      expect(running, 'the embedded store is read with the sink stopped').toBeUndefined()
    const db = await openAuditDatabase({
      ...(postgres && { databaseUrl: postgres.url }),
      dataDir: h.config.paths.data,
      create: false,
    })
    try {
      const records = await db.query<Record<string, unknown>>(
        `SELECT seq, event_id, request_id, stage, component, verdict, code, reason
         FROM audit_events ORDER BY seq`,
      )
      const rows = records.map((r) => ({
        seq: Number(r.seq),
        eventId: r.event_id as string,
        requestId: r.request_id as string,
        stage: r.stage as string,
        component: r.component as string,
        verdict: r.verdict as string,
        code: r.code as string | null,
        reason: r.reason as string | null,
      }))
      const verification = await verifyAudit(
        db,
        readAuditPublicKey(auditKeyPaths(h.keysDir).publicKey),
      )
      return { rows, verification }
    } finally {
      await db.close()
    }
  }

  /** The head seq before a test: its rows are the ones after it. None before the sink's first run. */
  async function headSeq(): Promise<number> {
    if (!existsSync(auditKeyPaths(h.keysDir).publicKey)) return 0
    const { rows } = await readTrail()
    return rows.at(-1)?.seq ?? 0
  }

  /** Events are recorded without awaiting each one (`void ...record(...)`): this waits for them all. */
  async function flushAll(): Promise<void> {
    await Promise.all([...publishers.values()].map((p) => p.flush()))
  }

  it('AUD-101 events of every identity, on every bus, land once each, as the component the subject names, whatever the payload claims', async () => {
    const sink = await startSink()
    const rid = newRequestId()
    void publishers.get('relay')!.record(recordOf(rid, 'request', 'relay'))
    void publishers.get('request-validator')!.record(recordOf(rid, 'request', 'request-validator'))
    void publishers.get('backend-demo')!.record(recordOf(rid, 'upstream', 'backend'))
    void publishers
      .get('response-validator')!
      .record(recordOf(rid, 'response', 'response-validator'))
    await flushAll()

    // The relay, by hand: an event claiming to be the request validator's, sent three times
    // (twice with its id as Nats-Msg-Id, which the stream folds; once without, which it cannot).
    const relay = jetstream(await h.connect('relay', 'dreq'))
    const claim = eventOf('relay', rid, 'claim', { component: 'request-validator' })
    for (const msgID of [claim.id, claim.id, undefined]) {
      await relay.publish(subjects.audit('relay'), encode(claim), msgID ? { msgID } : {})
    }

    // The edge, as its link pool publishes: plain NATS over the WebSocket, claiming the relay.
    const linkFrom = (await streamOf('link')).state.last_seq
    const edge = await connectLinkWebsocket(h, 'edge-local')
    try {
      edge.publish(
        subjects.audit('edge-local'),
        encode(eventOf('edge-local', rid, 'request', { component: 'relay' })),
      )
      await edge.flush()
    } finally {
      await edge.close()
    }
    await stored('link', linkFrom, 1)

    await drained(sink)
    expect(await stopSink(sink)).toBe(0)
    const { rows, verification } = await readTrail()
    expect(verification).toMatchObject({ ok: true })
    const mine = rows.filter((r) => r.requestId === rid)
    expect(mine.map((r) => [r.eventId, r.component, r.stage, r.verdict]).sort()).toEqual(
      [
        [`${rid}/backend-demo/upstream`, 'backend-demo', 'backend', 'accept'],
        [`${rid}/edge-local/request`, 'edge-local', 'edge', 'accept'],
        [`${rid}/relay/claim`, 'relay', 'relay', 'accept'],
        [`${rid}/relay/request`, 'relay', 'relay', 'accept'],
        [`${rid}/request-validator/request`, 'request-validator', 'request-validator', 'accept'],
        [
          `${rid}/response-validator/response`,
          'response-validator',
          'response-validator',
          'accept',
        ],
      ].sort(),
    )
  })

  it('AUD-102 the sink SIGKILLed under load and restarted: every event is in the store exactly once and the chain verifies', async () => {
    const from = await headSeq()
    let sink = await startSink()
    const rid = newRequestId()
    const SENT = 3_000
    const senders = [
      ['relay', 'relay'],
      ['backend-demo', 'backend'],
      ['response-validator', 'response-validator'],
    ] as const
    // About 1,000 events a second, spread over three buses, for three seconds.
    const publishing = (async () => {
      for (let i = 0; i < SENT; i++) {
        const [identity, stage] = senders[i % senders.length]!
        void publishers.get(identity)!.record(recordOf(rid, `e${i}`, stage))
        if (i % 25 === 24) await sleep(25)
      }
      await flushAll()
    })()

    // Kill it once it has committed a good part, with more taken and not yet acked. Each
    // message holds the events a publisher gathered (about one burst of this loop's), and one
    // commit acks what every bus had taken: so wait for a moment with messages in hand.
    const consumerOf = (bus: BusName) => managers.get(bus)!.consumers.info(AUDIT_STREAM, AUDIT_SINK)
    const unacked = async () =>
      (
        await Promise.all(
          (['dreq', 'creq', 'dresp'] as const).map(
            async (b) => (await consumerOf(b)).num_ack_pending,
          ),
        )
      ).reduce((a, b) => a + b)
    const ackFloor = (await consumerOf('dreq')).ack_floor.stream_seq
    const deadline = Date.now() + 10_000
    while (
      (await consumerOf('dreq')).ack_floor.stream_seq < ackFloor + 20 ||
      (await unacked()) === 0
    ) {
      if (Date.now() > deadline)
        throw new Error(`the sink commits nothing:\n${sink.lines.join('\n')}`)
      await sleep(5)
    }
    await killSink(sink)
    expect(sink.lines.some((l) => l.startsWith('info stopping'))).toBe(false)
    await sleep(300)
    sink = await startSink()

    await publishing
    for (const identity of ['relay', 'backend-demo', 'response-validator']) {
      expect(publishers.get(identity)!.stats()).toMatchObject({ failed: 0, dropped: 0 })
    }
    await drained(sink)
    expect(await stopSink(sink)).toBe(0)

    const { rows, verification } = await readTrail()
    expect(verification).toMatchObject({ ok: true })
    const written = rows.filter((r) => r.seq > from)
    const ids = written.map((r) => r.eventId)
    expect(new Set(ids).size).toBe(SENT)
    // Nothing twice, and nothing else: no invalid row, no stray event.
    expect(written.length).toBe(SENT)
    expect(written.every((r) => r.requestId === rid && r.code === null)).toBe(true)
  })

  it('AUD-107 events published while the sink is down wait in the streams and are all written once it starts', async () => {
    expect(running).toBeUndefined()
    const from = await headSeq()
    const rid = newRequestId()
    const SENT = 300
    for (let i = 0; i < SENT; i++) {
      void publishers
        .get(i % 2 ? 'request-validator' : 'backend-demo')!
        .record(recordOf(rid, `down${i}`, i % 2 ? 'request-validator' : 'backend'))
    }
    await flushAll()
    // Longer than an ack wait: nobody takes them, and the streams keep them.
    await sleep(ACK_WAIT_MS * 1.5)
    // Held as the publishers sent them: lists of up to AUDIT_BATCH_EVENTS events each.
    const held = (await streamOf('dreq')).state.messages + (await streamOf('creq')).state.messages
    expect(held).toBeGreaterThanOrEqual(2 * Math.ceil(SENT / 2 / AUDIT_BATCH_EVENTS))
    expect(held).toBeLessThan(SENT)

    const sink = await startSink()
    await drained(sink)
    expect(await stopSink(sink)).toBe(0)
    const { rows, verification } = await readTrail()
    expect(verification).toMatchObject({ ok: true })
    const written = rows.filter((r) => r.seq > from)
    expect(written.length).toBe(SENT)
    expect(new Set(written.map((r) => r.eventId)).size).toBe(SENT)
  })

  it('AUD-103 an event id that belongs to another component cannot suppress the real event: the forgery is an invalid row of its sender', async () => {
    const sink = await startSink()
    const rid = newRequestId()
    const victimId = `${rid}/request-validator/request`
    // The relay goes first, with the request validator's id (and that id as its Nats-Msg-Id: AUD-108).
    const relay = jetstream(await h.connect('relay', 'dreq'))
    await relay.publish(
      subjects.audit('relay'),
      encode(
        eventOf('relay', rid, 'request', {
          id: victimId,
          verdict: 'reject',
          code: 'CLAIMS_NOT_MET',
        }),
      ),
      { msgID: `${rid}/relay/forged` },
    )
    await relay.publish(
      subjects.audit('relay'),
      encode(eventOf('request-validator', rid, 'request', { verdict: 'reject' })),
      { msgID: `${rid}/relay/forged-stage` },
    )
    // The real event comes after both on the same stream, so it is read after them.
    void publishers.get('request-validator')!.record(recordOf(rid, 'request', 'request-validator'))
    await flushAll()

    await drained(sink)
    expect(await stopSink(sink)).toBe(0)
    const { rows, verification } = await readTrail()
    expect(verification).toMatchObject({ ok: true })
    const mine = rows.filter((r) => r.requestId === rid)
    const invalid = mine.filter((r) => r.code === AUDIT_EVENT_INVALID)
    expect(invalid.map((r) => [r.component, r.stage, r.verdict])).toEqual([
      ['relay', 'relay', 'error'],
      ['relay', 'relay', 'error'],
    ])
    expect(invalid[0]!.reason).toBe(`relay sent event id ${victimId}, not one of its own`)
    expect(invalid[1]!.reason).toBe('relay reported stage request-validator, which it does not run')
    const real = mine.filter((r) => r.eventId === victimId)
    expect(real).toEqual([
      expect.objectContaining({ component: 'request-validator', verdict: 'accept' }),
    ])
    expect(real[0]!.seq).toBeGreaterThan(invalid[1]!.seq)
  })

  it('AUD-104 malformed payloads become AUDIT_EVENT_INVALID rows naming their publisher; nothing is dropped and the sink keeps running', async () => {
    const from = await headSeq()
    const sink = await startSink()
    const rid = newRequestId()
    const relay = jetstream(await h.connect('relay', 'dreq'))
    const backendDemo = jetstream(await h.connect('backend-demo', 'creq'))
    const bad: [js: typeof relay, identity: string, data: Uint8Array, reason: string][] = [
      [relay, 'relay', encode('{"id": "x", '), 'relay sent something that is not an audit event'],
      [
        relay,
        'relay',
        new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
        'relay sent an event that is not UTF-8',
      ],
      [
        relay,
        'relay',
        encode(eventOf('relay', rid, 'big', { reason: 'x'.repeat(17 * 1024) })),
        'relay sent something that is not an audit event',
      ],
      [
        relay,
        'relay',
        encode(eventOf('relay', rid, 'stage', { stage: 'backend' })),
        'relay reported stage backend, which it does not run',
      ],
      [
        relay,
        'relay',
        encode(eventOf('relay', rid, 'nul', { reason: 'a\u0000b' })),
        'relay sent an event the trail cannot hold as sent: reason is not a usable string',
      ],
      [
        relay,
        'relay',
        encode(eventOf('relay', rid, 'port', { port: 70_000 })),
        'relay sent an event the trail cannot hold as sent: port is not an integer from 0 to 65535',
      ],
      [
        backendDemo,
        'backend-demo',
        encode([]),
        'backend-demo sent something that is not an audit event',
      ],
    ]
    for (const [js, identity, data] of bad) await js.publish(subjects.audit(identity), data)
    // The edge's, over the WebSocket.
    const linkFrom = (await streamOf('link')).state.last_seq
    const edge = await connectLinkWebsocket(h, 'edge-local')
    try {
      edge.publish(subjects.audit('edge-local'), encode('<script>not json'))
      await edge.flush()
    } finally {
      await edge.close()
    }
    await stored('link', linkFrom, 1)
    // And after all that, a good one.
    void publishers.get('relay')!.record(recordOf(rid, 'after', 'relay'))
    await flushAll()

    await drained(sink)
    expect(sink.alive()).toBe(true)
    expect(await stopSink(sink)).toBe(0)
    const { rows, verification } = await readTrail()
    expect(verification).toMatchObject({ ok: true })
    const written = rows.filter((r) => r.seq > from)
    const invalid = written.filter((r) => r.code === AUDIT_EVENT_INVALID)
    expect(invalid.map((r) => [r.component, r.verdict, r.reason]).sort()).toEqual(
      [
        ...bad.map(([, identity, , reason]) => [identity, 'error', reason]),
        ['edge-local', 'error', 'edge-local sent something that is not an audit event'],
      ].sort(),
    )
    expect(written.filter((r) => r.code !== AUDIT_EVENT_INVALID).map((r) => r.eventId)).toEqual([
      `${rid}/relay/after`,
    ])
    expect(written.length).toBe(bad.length + 2)
  })

  it('AUD-106 events and signed checkpoints reach rsyslog through the syslog mirror, the closing checkpoint included', async () => {
    const sink = await startSink()
    const rid = newRequestId()
    void publishers.get('relay')!.record(recordOf(rid, 'request', 'relay'))
    void publishers.get('request-validator')!.record(recordOf(rid, 'request', 'request-validator'))
    void publishers
      .get('response-validator')!
      .record(recordOf(rid, 'response', 'response-validator'))
    await flushAll()
    await drained(sink)
    expect(await stopSink(sink)).toBe(0)
    const { verification } = await readTrail()
    expect(verification).toMatchObject({ ok: true })
    const head = verification.head!

    const ours = (m: ReceivedSyslog) => m.appName === appName
    const deadline = Date.now() + 5_000
    let events: ReceivedSyslog[] = []
    let closing: ReceivedSyslog | undefined
    for (;;) {
      const all = rsyslog.messages().filter(ours)
      events = all.filter((m) => m.msgId === 'audit' && m.sd[SD_ID]?.requestId === rid)
      closing = all.find((m) => m.msgId === 'checkpoint' && m.sd[SD_ID]?.seq === String(head.seq))
      if ((events.length >= 3 && closing) || Date.now() > deadline) break
      await sleep(50)
    }
    expect(events.map((m) => m.sd[SD_ID]!.component).sort()).toEqual([
      'relay',
      'request-validator',
      'response-validator',
    ])
    expect(closing?.sd[SD_ID]).toMatchObject({ seq: String(head.seq), hash: head.hash })
  })

  it.runIf(backend === 'postgres')(
    'AUD-105 on PostgreSQL, as a writer-role login: a database refusing writes for longer than every delivery, and the sink SIGKILLed meanwhile, loses nothing',
    async () => {
      let sink = await startSink()
      const from = await headSeq()
      const owner = new pg.Client({ connectionString: postgres!.url })
      await owner.connect()
      try {
        // Every insert fails from now on (a CHECK that no new row meets; old rows unchecked).
        await owner.query(
          'ALTER TABLE audit_events ADD CONSTRAINT refuse_all CHECK (false) NOT VALID',
        )
        const rid = newRequestId()
        const SENT = 200
        for (let i = 0; i < SENT; i++) {
          void publishers.get('relay')!.record(recordOf(rid, `out${i}`, 'relay'))
        }
        await flushAll()
        const held = (await streamOf('dreq')).state.messages
        expect(held).toBeGreaterThan(0)
        // Longer than maxDeliver ack waits: had each failed attempt been a nak, or each ack
        // wait been let lapse, every delivery would be used by now...
        await sleep(ACK_WAIT_MS * (MAX_DELIVER + 1))
        expect((await streamOf('dreq')).state.messages).toBe(held)
        expect(sink.lines.some((l) => l.startsWith('error audit-write-failed'))).toBe(true)
        // ...and the stream would never hand them to the next run.
        await killSink(sink)
        sink = await startSink()
        await sleep(ACK_WAIT_MS * 1.5)
        expect((await streamOf('dreq')).state.messages).toBe(held)
        await owner.query('ALTER TABLE audit_events DROP CONSTRAINT refuse_all')

        await drained(sink)
        const { rows, verification } = await readTrail()
        expect(verification).toMatchObject({ ok: true })
        const written = rows.filter((r) => r.seq > from)
        expect(written.length).toBe(SENT)
        expect(new Set(written.map((r) => r.eventId)).size).toBe(SENT)
        expect(sink.lines.some((l) => l.startsWith('info audit-write-recovered'))).toBe(true)
      } finally {
        await owner.query('ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS refuse_all')
        await owner.end()
        if (running) await stopSink(running)
      }
    },
  )

  // A stream de-duplicates by Nats-Msg-Id across all its subjects. The relay, which sees
  // every request id, sends the request validator's next event id as its Nats-Msg-Id first:
  // the publisher's own Nats-Msg-Id carries a random part, so the real event still lands.
  it.runIf(backend === 'pglite')(
    'AUD-108 a Nats-Msg-Id taken from another component cannot suppress its event in the stream',
    async () => {
      const sink = await startSink()
      const rid = newRequestId()
      const victimId = `${rid}/request-validator/request`
      const relay = jetstream(await h.connect('relay', 'dreq'))
      await relay.publish(
        subjects.audit('relay'),
        encode(eventOf('relay', rid, 'request', { id: victimId })),
        { msgID: victimId },
      )
      void publishers
        .get('request-validator')!
        .record(recordOf(rid, 'request', 'request-validator'))
      await flushAll()
      await drained(sink)
      await stopSink(sink)
      const { rows } = await readTrail()
      expect(rows.filter((r) => r.eventId === victimId)).toHaveLength(1)
    },
  )
})
