/**
 * The audit mirrors against real receivers: Debian's rsyslogd over UDP and TCP (its own
 * RFC 5424 and structured-data parsers read what we wrote), and an OTLP/HTTP logs endpoint
 * on node:http decoding the JSON ExportLogsServiceRequest. Then both receivers away: sending
 * stays instant and bounded, and delivery resumes when they come back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { AuditEvent } from '../../core/audit/index.js'
import {
  openMirrors,
  parseStructuredData,
  SD_ID,
  type AuditMirrors,
  type MirrorCheckpoint,
  type MirrorRecord,
} from '../../audit/mirrors/index.js'
import { freePorts } from '../harness/ports.js'
import { startRsyslog, type ReceivedSyslog, type RsyslogHarness } from '../harness/rsyslog.js'

const HOSTNAME = 'gw-test'
const PROCID = '4242'
const FAST = { initialMs: 50, maxMs: 300 }

const BASE: AuditEvent = {
  id: 'ev',
  time: '2026-03-01T12:00:00.123Z',
  requestId: 'req-1',
  stage: 'request-validator',
  component: 'request-validator',
  verdict: 'accept',
  method: 'POST',
  host: 'demo',
  port: 443,
  path: '/orders',
  status: 200,
  latencyMs: 2.5,
  actor: 'alice',
  bodyDigest: 'sha256:' + 'ab'.repeat(32),
}

const HOSTILE_REASON =
  'bad "quote" \\ back ] close [evil@1 verdict="accept"]\n<110>1 2026-03-01T12:00:00Z gw portcullis 1 audit - forged\r\u0000end'

/** An accepted, a rejected (hostile fields), an errored (SD past the size bound) event, a checkpoint. */
function records(tag: string): { events: AuditEvent[]; checkpoint: MirrorCheckpoint } {
  return {
    events: [
      { ...BASE, id: `${tag}-accept` },
      {
        ...BASE,
        id: `${tag}-reject`,
        verdict: 'reject',
        code: 'BODY_SCHEMA_VIOLATION',
        reason: HOSTILE_REASON,
        path: '/orders]" x="y',
        actor: 'mallory]\n[x',
        status: 400,
      },
      {
        ...BASE,
        id: `${tag}-error`,
        stage: 'backend',
        component: 'backend-demo',
        verdict: 'error',
        code: 'UPSTREAM_TIMEOUT',
        reason: 'é'.repeat(1500),
        status: 504,
        latencyMs: 5000,
      },
    ],
    checkpoint: {
      seq: 3,
      hash: 'c'.repeat(64),
      time: '2026-03-01T12:00:01.123456Z',
      keyId: `${tag}-key`,
      signature: 'c2lnbmF0dXJl',
    },
  }
}

const asText = (o: object) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)])) as Record<string, string>

function sendAll(mirrors: AuditMirrors, r: ReturnType<typeof records>): void {
  for (const event of r.events) mirrors.send({ kind: 'event', event })
  mirrors.send({ kind: 'checkpoint', checkpoint: r.checkpoint })
}

// ---- an OTLP/HTTP logs endpoint -------------------------------------------------------------

interface OtlpValue {
  stringValue?: string
  intValue?: number | string
  doubleValue?: number
}
interface OtlpLogRecord {
  timeUnixNano: string
  severityNumber: number
  severityText: string
  body: OtlpValue
  eventName?: string
  attributes: { key: string; value: OtlpValue }[]
}
interface OtlpReceiver {
  port: number
  requests: { path: string; headers: IncomingHttpHeaders }[]
  logRecords(): { resource: Record<string, unknown>; record: OtlpLogRecord }[]
  close(): Promise<void>
}

const valueOf = (v: OtlpValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.doubleValue)
const attributesOf = (list: { key: string; value: OtlpValue }[]) =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]))

function startOtlpReceiver(port: number): Promise<OtlpReceiver> {
  const requests: OtlpReceiver['requests'] = []
  const bodies: unknown[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers })
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port,
        requests,
        logRecords: () =>
          bodies.flatMap((b) =>
            (
              b as {
                resourceLogs: {
                  resource: { attributes: never[] }
                  scopeLogs: { logRecords: OtlpLogRecord[] }[]
                }[]
              }
            ).resourceLogs.flatMap((rl) =>
              rl.scopeLogs.flatMap((sl) =>
                sl.logRecords.map((record) => ({
                  resource: attributesOf(rl.resource.attributes),
                  record,
                })),
              ),
            ),
          ),
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r())
            server.closeAllConnections()
          }),
      }),
    )
  })
}

// ---- the tests -------------------------------------------------------------------------------

let rsyslog: RsyslogHarness | undefined
/** Whatever a test opens, closed after it even when it fails. */
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  rsyslog = await startRsyslog()
}, 20_000)

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {})
})

afterAll(async () => {
  await rsyslog?.stop()
})

function opened(mirrors: AuditMirrors): AuditMirrors {
  cleanups.push(() => mirrors.close())
  return mirrors
}

function receivedSyslog(
  all: ReceivedSyslog[],
  input: string,
  tag: string,
): Map<string, ReceivedSyslog> {
  const out = new Map<string, ReceivedSyslog>()
  for (const m of all) {
    if (m.input !== input) continue
    const params = parseStructuredData(m.structuredData).elements[0]?.params ?? {}
    const key = params.id ?? params.keyId
    if (key?.startsWith(`${tag}-`)) out.set(key, m)
  }
  return out
}

describe('the syslog mirror on a real rsyslog', () => {
  it.each([
    [
      'AUD-202 events over UDP reach rsyslog as one message each, structured data intact, hostile fields included',
      'udp',
      'imudp',
    ],
    [
      'AUD-203 events over TCP (octet counting) reach rsyslog as one message each, structured data intact, hostile fields included',
      'tcp',
      'imtcp',
    ],
  ] as const)(
    '%s',
    async (_name, transport, input) => {
      const rs = rsyslog!
      const errors: string[] = []
      const mirrors = opened(
        openMirrors(
          {
            mirrorQueue: 100,
            syslog: {
              host: '127.0.0.1',
              port: transport === 'udp' ? rs.udpPort : rs.tcpPort,
              transport,
              appName: 'portcullis',
            },
          },
          { hostname: HOSTNAME, procId: PROCID, onError: (_m, e) => errors.push(e.message) },
        ),
      )
      const tag = `syslog-${transport}`
      const r = records(tag)
      sendAll(mirrors, r)
      expect(await mirrors.flush(5_000)).toBe(true)
      expect(mirrors.stats()).toEqual({ sent: 4, dropped: 0, failed: 0, queued: 0 })

      let got = new Map<string, ReceivedSyslog>()
      const deadline = Date.now() + 10_000
      while (got.size < 4 && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 25))
        got = receivedSyslog(rs.messages(), input, tag)
      }
      expect([...got.keys()].sort()).toEqual(
        [`${tag}-accept`, `${tag}-error`, `${tag}-key`, `${tag}-reject`].sort(),
      )
      // Nothing but these four came in on this input with this tag: no forged message.
      const all = rs
        .messages()
        .filter((m) => m.input === input && m.structuredData.includes(`"${tag}-`))
      expect(all).toHaveLength(4)

      const expectations: [string, Record<string, string>, number, string][] = [
        [`${tag}-accept`, asText(r.events[0]!), 110, 'audit'],
        [`${tag}-reject`, asText(r.events[1]!), 108, 'audit'],
        [`${tag}-error`, asText(r.events[2]!), 107, 'audit'],
        [`${tag}-key`, asText(r.checkpoint), 109, 'checkpoint'],
      ]
      for (const [key, params, pri, msgId] of expectations) {
        const m = got.get(key)!
        expect(m).toMatchObject({
          pri,
          msgId,
          hostname: HOSTNAME,
          appName: 'portcullis',
          procId: PROCID,
        })
        // Our reading of the SD rsyslog received: one element, every field exact.
        const sd = parseStructuredData(m.structuredData)
        expect(sd.length).toBe(m.structuredData.length)
        expect(sd.elements).toEqual([{ id: SD_ID, params }])
        // rsyslog's own reading (mmpstrucdata): one element, the same names, the same values
        // wherever RFC 5424's escapes are all there is to undo.
        expect(Object.keys(m.sd)).toEqual([SD_ID])
        expect(Object.keys(m.sd[SD_ID]!).sort()).toEqual(Object.keys(params).sort())
        for (const [name, value] of Object.entries(params)) {
          if (!/[\u0000-\u001f\\]/.test(value)) expect(m.sd[SD_ID]![name]).toBe(value)
        }
        expect(m.msg).not.toMatch(/[\r\n]/)
      }
      expect(got.get(`${tag}-reject`)!.sd[SD_ID]!.verdict).toBe('reject')
      // The SD past the 2048-octet bound arrived whole; MSG made way for it.
      expect(got.get(`${tag}-error`)!.sd[SD_ID]!.reason).toBe('é'.repeat(1500))
      expect(got.get(`${tag}-accept`)!.msg).toBe(
        'accept request-validator POST demo:443/orders status=200 2.5ms request=req-1',
      )
      expect(errors).toEqual([])
    },
    20_000,
  )
})

describe('the syslog mirror over TCP', () => {
  it('reconnects when rsyslog restarts on its port, and later events arrive', async () => {
    let rs = await startRsyslog()
    cleanups.push(() => rs.stop())
    const mirrors = opened(
      openMirrors(
        {
          mirrorQueue: 100,
          syslog: { host: '127.0.0.1', port: rs.tcpPort, transport: 'tcp', appName: 'portcullis' },
        },
        { hostname: HOSTNAME, procId: PROCID, backoff: FAST },
      ),
    )
    mirrors.send({ kind: 'event', event: { ...BASE, id: 'before-restart' } })
    expect(await mirrors.flush(5_000)).toBe(true)
    await rs.waitForMessages(1)
    await rs.stop()
    rs = await startRsyslog({ tcpPort: rs.tcpPort })
    cleanups.push(() => rs.stop())
    // The first writes after the restart may go to the dead connection before its reset is
    // seen (plain TCP syslog has no acknowledgements): keep sending until one arrives.
    const deadline = Date.now() + 10_000
    for (let i = 0; ; i++) {
      mirrors.send({ kind: 'event', event: { ...BASE, id: `after-restart-${i}` } })
      await new Promise((r) => setTimeout(r, 50))
      const ids = rs
        .messages()
        .map((m) => parseStructuredData(m.structuredData).elements[0]!.params.id)
      if (ids.some((id) => id?.startsWith('after-restart-'))) break
      expect(Date.now()).toBeLessThan(deadline)
    }
    expect(await mirrors.flush(5_000)).toBe(true)
  }, 20_000)
})

describe('the OTLP mirror', () => {
  it('AUD-204 delivers each event as one log record: attributes, severity, body, timestamp, resource; hostile fields stay values', async () => {
    const [port] = await freePorts(1)
    const receiver = await startOtlpReceiver(port!)
    cleanups.push(() => receiver.close())
    const mirrors = opened(
      openMirrors(
        {
          mirrorQueue: 100,
          otlp: {
            url: `http://127.0.0.1:${port}/v1/logs`,
            timeoutMs: 2_000,
            headers: { authorization: 'Bearer test-only' },
          },
        },
        { batchDelayMs: 20 },
      ),
    )
    const r = records('otlp')
    sendAll(mirrors, r)
    expect(await mirrors.flush(5_000)).toBe(true)
    expect(mirrors.stats()).toEqual({ sent: 4, dropped: 0, failed: 0, queued: 0 })

    expect(receiver.requests.length).toBeGreaterThan(0)
    for (const req of receiver.requests) {
      expect(req.path).toBe('/v1/logs')
      expect(req.headers['content-type']).toBe('application/json')
      expect(req.headers.authorization).toBe('Bearer test-only')
    }
    const logs = receiver.logRecords()
    expect(logs).toHaveLength(4)
    for (const { resource } of logs) expect(resource['service.name']).toBe('portcullis-audit')
    const byId = new Map(
      logs.map(({ record }) => {
        const a = attributesOf(record.attributes)
        return [String(a['portcullis.event_id'] ?? a['portcullis.checkpoint.key_id']), record]
      }),
    )

    const accept = byId.get('otlp-accept')!
    expect(accept.severityNumber).toBe(9)
    expect(accept.severityText).toBe('INFO')
    expect(accept.eventName).toBe('portcullis.audit')
    expect(accept.body.stringValue).toBe(
      'accept request-validator POST demo:443/orders status=200 2.5ms request=req-1',
    )
    expect(accept.timeUnixNano).toBe(String(BigInt(Date.parse(BASE.time)) * 1_000_000n))
    expect(attributesOf(accept.attributes)).toEqual({
      'portcullis.event_id': 'otlp-accept',
      'portcullis.request_id': 'req-1',
      'portcullis.stage': 'request-validator',
      'portcullis.component': 'request-validator',
      'portcullis.verdict': 'accept',
      'portcullis.method': 'POST',
      'portcullis.host': 'demo',
      'portcullis.port': 443,
      'portcullis.path': '/orders',
      'portcullis.status': 200,
      'portcullis.latency_ms': 2.5,
      'portcullis.actor': 'alice',
      'portcullis.body_digest': BASE.bodyDigest,
    })

    const reject = byId.get('otlp-reject')!
    expect(reject.severityNumber).toBe(13)
    expect(attributesOf(reject.attributes)).toMatchObject({
      'portcullis.reason': HOSTILE_REASON,
      'portcullis.path': '/orders]" x="y',
      'portcullis.actor': 'mallory]\n[x',
      'portcullis.verdict': 'reject',
      'portcullis.code': 'BODY_SCHEMA_VIOLATION',
    })
    expect(reject.body.stringValue).not.toMatch(/[\r\n]/)

    expect(byId.get('otlp-error')!.severityNumber).toBe(17)
    const checkpoint = byId.get('otlp-key')!
    expect(checkpoint.severityNumber).toBe(10)
    expect(checkpoint.eventName).toBe('portcullis.checkpoint')
    expect(checkpoint.timeUnixNano).toBe(
      String(BigInt(Date.parse('2026-03-01T12:00:01Z')) * 1_000_000n + 123_456_000n),
    )
    expect(attributesOf(checkpoint.attributes)).toEqual({
      'portcullis.checkpoint.seq': 3,
      'portcullis.checkpoint.hash': 'c'.repeat(64),
      'portcullis.checkpoint.key_id': 'otlp-key',
      'portcullis.checkpoint.signature': 'c2lnbmF0dXJl',
    })
  }, 15_000)
})

describe('with the receivers away', () => {
  it('close() returns within the export timeout and counts what it held as dropped', async () => {
    const [tcpPort, otlpPort] = await freePorts(2)
    const mirrors = openMirrors(
      {
        mirrorQueue: 100,
        syslog: { host: '127.0.0.1', port: tcpPort!, transport: 'tcp', appName: 'portcullis' },
        otlp: { url: `http://127.0.0.1:${otlpPort}/v1/logs`, timeoutMs: 1_000 },
      },
      { backoff: FAST, batchDelayMs: 20 },
    )
    for (let i = 0; i < 50; i++)
      mirrors.send({ kind: 'event', event: { ...BASE, id: `held-${i}` } })
    expect(await mirrors.flush(200)).toBe(false)
    const started = performance.now()
    await mirrors.close()
    expect(performance.now() - started).toBeLessThan(2_500)
    for (const s of Object.values(mirrors.statsByMirror())) {
      expect(s).toMatchObject({ sent: 0, dropped: 50, queued: 0 })
    }
  }, 10_000)

  it('AUD-205 50,000 sends return at once, each queue stays at its bound with drops counted, and delivery resumes when the receivers come back', async () => {
    const [tcpPort, otlpPort] = await freePorts(2)
    const QUEUE = 10_000
    const TOTAL = 50_000
    const errors: string[] = []
    const mirrors = opened(
      openMirrors(
        {
          mirrorQueue: QUEUE,
          syslog: { host: '127.0.0.1', port: tcpPort!, transport: 'tcp', appName: 'portcullis' },
          otlp: { url: `http://127.0.0.1:${otlpPort}/v1/logs`, timeoutMs: 1_000 },
        },
        {
          hostname: HOSTNAME,
          procId: PROCID,
          backoff: FAST,
          batchDelayMs: 20,
          onError: (m, e) => errors.push(`${m}: ${e.message}`),
        },
      ),
    )
    const events: MirrorRecord[] = Array.from({ length: TOTAL }, (_, i) => ({
      kind: 'event',
      event: { ...BASE, id: `bulk-${i}`, requestId: `bulk-req-${i}` },
    }))

    const started = performance.now()
    for (const record of events) mirrors.send(record)
    const elapsedMs = performance.now() - started
    console.log(`audit mirrors: ${TOTAL} sends to 2 mirrors took ${elapsedMs.toFixed(1)} ms`)
    expect(elapsedMs).toBeLessThan(2_000)

    let extra = 0
    /** Every record sent is sent, dropped or still held; never more held than the bound. */
    const conserved = () => {
      for (const s of Object.values(mirrors.statsByMirror())) {
        expect(s.queued).toBeLessThanOrEqual(QUEUE)
        expect(s.sent + s.dropped + s.queued).toBe(TOTAL + extra)
      }
    }
    for (const s of Object.values(mirrors.statsByMirror())) {
      expect(s).toEqual({ sent: 0, dropped: TOTAL - QUEUE, failed: 0, queued: QUEUE })
    }
    // Both keep failing for a while (an OTLP export gives up after its 1 s timeout) ...
    await new Promise((r) => setTimeout(r, 1_500))
    const away = mirrors.statsByMirror()
    expect(away.syslog).toEqual({ sent: 0, dropped: TOTAL - QUEUE, failed: 0, queued: QUEUE })
    expect(away.otlp!.sent).toBe(0)
    expect(away.otlp!.failed).toBeGreaterThan(0)
    expect(away.otlp!.queued).toBe(QUEUE)
    conserved()
    expect(errors.some((e) => e.startsWith('syslog: '))).toBe(true)
    expect(errors.some((e) => e.startsWith('otlp: '))).toBe(true)

    // ... and deliver again once their receivers are back.
    const rs = await startRsyslog({ tcpPort })
    cleanups.push(() => rs.stop())
    const receiver = await startOtlpReceiver(otlpPort!)
    cleanups.push(() => receiver.close())
    mirrors.send({ kind: 'event', event: { ...BASE, id: 'after-return' } })
    extra = 1
    expect(await mirrors.flush(15_000)).toBe(true)
    conserved()
    const back = mirrors.statsByMirror()

    // What was kept is the newest (the oldest went first), and the later record arrived.
    const newest = new Set(
      events.slice(TOTAL - QUEUE).map((r) => (r as { event: AuditEvent }).event.id),
    )
    newest.add('after-return')
    const syslogIds = (await rs.waitForMessages(back.syslog!.sent)).map(
      (m) => parseStructuredData(m.structuredData).elements[0]!.params.id!,
    )
    const otlpIds = receiver
      .logRecords()
      .map(({ record }) => String(attributesOf(record.attributes)['portcullis.event_id']))
    for (const [ids, stats] of [
      [syslogIds, back.syslog!],
      [otlpIds, back.otlp!],
    ] as const) {
      expect(stats.queued).toBe(0)
      expect(stats.sent).toBeGreaterThanOrEqual(QUEUE)
      expect(new Set(ids).size).toBe(stats.sent)
      expect(ids.every((id) => newest.has(id))).toBe(true)
      expect(ids).toContain('after-return')
      expect(ids).toContain(`bulk-${TOTAL - 1}`)
    }
  }, 30_000)
})
