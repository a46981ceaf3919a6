/**
 * The floor of the four-bus shape on this machine: what the pipeline's hops cost before any
 * work of the product. One nats-server with JetStream (file storage, work-queue streams, as
 * the buses have), four streams, three forwarders that only move a message on (publish to
 * the next stream with a `Nats-Msg-Id`, ack the input once the PubAck is in, as the stages
 * do) and a client that publishes to the first stream and takes its answer from the last.
 * No validation, no audit, no HTTP call, no link, one server instead of five; the product's
 * own transport (`bus/transport.ts`). Run one request at a time and with `concurrency` in
 * flight: wall time per request, and the CPU this process (client and forwarders) and the
 * server spent per request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
} from '@nats-io/jetstream'
import { headers, type NatsConnection } from '@nats-io/nats-core'
import { connectCoalescing } from '../bus/transport.js'
import { freePort } from '../runtime/ports.js'
import { startNatsServer, type NatsServerProcess } from '../topology/index.js'
import { cpuMicrosPerRequest, sampleCpu } from './cpu.js'
import { closedLoop, type LoadResult } from './load.js'

export interface FloorResult {
  inFlight: number
  requests: number
  p50Ms: number
  p99Ms: number
  /** CPU of the server and of this process (client and forwarders), per request. */
  cpuMicrosPerRequest: number
  cpu: Record<string, number>
}

const STREAMS = ['FLOOR1', 'FLOOR2', 'FLOOR3', 'FLOOR4'] as const
const subjectOf = (stream: string) => `floor.${stream.toLowerCase()}`
const BODY = new Uint8Array(1024)

export async function benchFloor(seconds: number, concurrency: number): Promise<FloorResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-floor-'))
  const port = await freePort()
  writeFileSync(
    join(dir, 'floor.conf'),
    `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, 'js')}" }\n`,
  )
  let server: NatsServerProcess | undefined
  const connections: NatsConnection[] = []
  const pulls: ConsumerMessages[] = []
  try {
    server = await startNatsServer({ name: 'floor', confPath: join(dir, 'floor.conf'), port })
    const connect = async () => {
      const nc = await connectCoalescing({ servers: `127.0.0.1:${port}`, noAsyncTraces: true })
      connections.push(nc)
      return nc
    }
    const client = await connect()
    const jsm = await jetstreamManager(client)
    for (const name of STREAMS) {
      await jsm.streams.add({
        name,
        subjects: [subjectOf(name)],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
      })
      await jsm.consumers.add(name, { durable_name: 'next', ack_policy: AckPolicy.Explicit })
    }

    // The forwarders: one connection each, as the stages have.
    for (let i = 0; i < STREAMS.length - 1; i++) {
      const nc = await connect()
      const js = jetstream(nc)
      const next = subjectOf(STREAMS[i + 1]!)
      const messages = await (
        await js.consumers.get(STREAMS[i]!, 'next')
      ).consume({
        max_messages: concurrency,
      })
      pulls.push(messages)
      void (async () => {
        for await (const m of messages) {
          void js
            .publish(next, m.data, {
              msgID: `${m.info.streamSequence}/${i}`,
              ...(m.headers && { headers: m.headers }),
            })
            .then(() => m.ack())
            .catch(() => m.nak())
        }
      })()
    }

    // The client: publishes to the first stream, its answer is the message on the last.
    const js = jetstream(client)
    const waiting = new Map<string, () => void>()
    const answers = await (
      await js.consumers.get(STREAMS[3], 'next')
    ).consume({
      max_messages: concurrency,
    })
    pulls.push(answers)
    void (async () => {
      for await (const m of answers) {
        m.ack()
        waiting.get(m.headers?.get('Floor-Id') ?? '')?.()
      }
    })()
    let seq = 0
    const send = async (): Promise<boolean> => {
      const id = String(++seq)
      const answered = new Promise<void>((resolve) => waiting.set(id, resolve))
      const h = headers()
      h.set('Floor-Id', id)
      await js.publish(subjectOf(STREAMS[0]), BODY, { msgID: id, headers: h })
      await answered
      waiting.delete(id)
      return true
    }

    const results: FloorResult[] = []
    for (const inFlight of [1, concurrency]) {
      await closedLoop(send, inFlight, 0.5)
      const roots = { bench: process.pid, 'nats-server': server.pid }
      const before = sampleCpu(roots)
      const r: LoadResult = await closedLoop(send, inFlight, seconds)
      const cpu = cpuMicrosPerRequest(before, sampleCpu(roots), r.requests)
      results.push({
        inFlight,
        requests: r.requests,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        cpuMicrosPerRequest: cpu.total,
        cpu: cpu.perProcess,
      })
    }
    return results
  } finally {
    for (const p of pulls) p.stop()
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)))
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
