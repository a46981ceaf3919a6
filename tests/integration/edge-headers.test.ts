/**
 * Repeated and hop-by-hop headers on the wire: raw HTTP/1.1 requests over a socket to the
 * edge under `wrangler dev` (real workerd), with this test acting as the relay on the link.
 * A `fetch` cannot send two lines of one header; a socket can. What workerd does with them
 * decides what the edge can see: see edge/ingress/headers.ts.
 */
import { connect } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core'
import {
  DEFAULT_REQUEST_VALIDATION,
  decodeRequest,
  encodeResponse,
  subjects,
  type RequestEnvelope,
} from '../../core/index.js'
import {
  checkRequestHeaders,
  DEFAULT_ALLOWED_HEADERS,
  headerAllowList,
} from '../../validators/lib/request/headers.js'
import { startBuses, type BusHarness } from '../harness/buses.js'
import { startWranglerDev, type WranglerDev } from '../harness/wrangler.js'

let buses: BusHarness
let edge: WranglerDev
let relay: NatsConnection
let serving: Subscription | undefined

/** Answers every link request 200 and keeps what arrived. */
async function serve(): Promise<RequestEnvelope[]> {
  const seen: RequestEnvelope[] = []
  serving = relay.subscribe(subjects.linkRequestAll, {
    queue: 'relay',
    callback: (err, msg: Msg) => {
      if (err) return
      const request = decodeRequest(msg.headers, msg.data)
      seen.push(request)
      const { requestId, deadline, method, host, port, path, query } = request
      const { headers, data } = encodeResponse({
        request: { requestId, deadline, method, host, port, path, query },
        status: 200,
        headers: [['content-type', 'application/json']],
        body: new TextEncoder().encode('{}'),
      })
      msg.respond(data, { headers })
    },
  })
  await relay.flush()
  return seen
}

interface RawResponse {
  status: number
  body: string
}

/** Whether `text` holds a whole response: its head, then its length or its last chunk. */
function complete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n')
  if (end < 0) return false
  const head = text.slice(0, end).toLowerCase()
  const length = /\r\ncontent-length: *(\d+)/.exec(head)?.[1]
  if (length !== undefined) return text.length - end - 4 >= Number(length)
  return !head.includes('chunked') || text.endsWith('0\r\n\r\n')
}

/** One request written byte for byte; the answer read until it is whole. */
function raw(lines: string[], body = ''): Promise<RawResponse> {
  const url = new URL(edge.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    let text = ''
    const done = () => {
      socket.destroy()
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) })
    }
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      text += d
      if (complete(text)) done()
    })
    socket.on('error', reject)
    socket.on('close', done)
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')))
    socket.write(
      [...lines, `Host: ${url.host}`, 'Connection: close'].join('\r\n') + '\r\n\r\n' + body,
    )
  })
}

/** The problem's code from a raw answer (a chunked body holds the JSON in one chunk). */
function codeOf(res: RawResponse): string | undefined {
  return /"code":"([A-Z_]+)"/.exec(res.body)?.[1]
}

beforeAll(async () => {
  buses = await startBuses()
  edge = await startWranglerDev({
    dir: buses.dir,
    config: buses.config,
    keysDir: buses.keysDir,
    port: buses.config.edge.port,
  })
  relay = await buses.connect('relay', 'link')
}, 90_000)

afterEach(async () => {
  await serving?.drain()
  serving = undefined
})

afterAll(async () => {
  await edge?.stop()
  await buses?.stop()
})

describe('edge headers on a raw socket under wrangler dev', () => {
  it('HEADER-115 two User-Agent or Origin lines are refused 400 HEADER_INVALID at the edge and never reach the link', async () => {
    const seen = await serve()
    for (const pair of [
      ['User-Agent: curl/8.0', 'User-Agent: evil/1.0'],
      ['Origin: https://a.example', 'Origin: https://b.example'],
      [
        'If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT',
        'If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT',
      ],
    ]) {
      const res = await raw(['GET /demo/orders HTTP/1.1', ...pair])
      expect(res.status, pair[0]).toBe(400)
      expect(codeOf(res)).toBe('HEADER_INVALID')
    }
    // One line of each passes: the refusal is the repeat.
    const ok = await raw([
      'GET /demo/orders HTTP/1.1',
      'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)',
      'If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT',
    ])
    expect(ok.status).toBe(200)
    expect(seen).toHaveLength(1)
  })

  it('HEADER-116 two Content-Type or Content-Length lines on a POST never reach the link', async () => {
    const seen = await serve()
    const body = '{"item":"tea","quantity":1}'
    const types = await raw(
      [
        'POST /demo/orders/1/notes HTTP/1.1',
        'Content-Type: application/json',
        'Content-Type: text/plain',
        `Content-Length: ${body.length}`,
      ],
      body,
    )
    expect([400, 415]).toContain(types.status)
    expect(['HEADER_INVALID', 'UNSUPPORTED_MEDIA_TYPE']).toContain(codeOf(types))
    // workerd itself refuses two lengths before the worker runs.
    const lengths = await raw(
      [
        'POST /demo/orders/1/notes HTTP/1.1',
        'Content-Type: application/json',
        `Content-Length: ${body.length}`,
        `Content-Length: ${body.length}`,
      ],
      body,
    )
    expect(lengths.status).toBeGreaterThanOrEqual(400)
    expect(seen).toHaveLength(0)
  })

  it('HEADER-117 hop-by-hop headers on the wire never reach the link; one Connection names arrives plain and the validator refuses it', async () => {
    const seen = await serve()
    const res = await raw([
      'GET /demo/orders HTTP/1.1',
      'Connection: keep-alive, X-Secret-Admin',
      'X-Secret-Admin: 1',
      'Keep-Alive: timeout=5',
      'TE: trailers',
      'Trailer: x-sum',
      'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA',
      'Proxy-Connection: keep-alive',
      'Proxy-Authorization: Basic eDp5',
      'Accept: application/json',
    ])
    expect(res.status).toBe(200)
    expect(seen).toHaveLength(1)
    const names = seen[0]!.headers.map(([n]) => n)
    for (const hop of [
      'connection',
      'keep-alive',
      'te',
      'trailer',
      'http2-settings',
      'proxy-connection',
      'proxy-authorization',
    ]) {
      expect(names).not.toContain(hop)
    }
    // workerd consumed `Connection` before the worker ran, so the edge cannot know it named
    // x-secret-admin: the header arrives as an ordinary one and the validator's allow-list
    // is what refuses it.
    expect(names).toContain('x-secret-admin')
    expect(() =>
      checkRequestHeaders(
        seen[0]!.headers,
        0,
        headerAllowList(DEFAULT_ALLOWED_HEADERS),
        DEFAULT_REQUEST_VALIDATION.headers,
      ),
    ).toThrow(expect.objectContaining({ code: 'HEADER_NOT_ALLOWED' }))
  })
})
