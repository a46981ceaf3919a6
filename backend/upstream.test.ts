/**
 * The upstream client against real sockets on loopback, each speaking raw HTTP/1.1 so that an
 * upstream can misbehave exactly: a transfer coding nobody decodes, a connection dropped after
 * a write arrived, a forged gateway stamp.
 */
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { GatewayError } from '../core/index.js'
import { readResponseHeaders } from './headers.js'
import type { UpstreamRequest } from './request.js'
import { createUpstreamClient } from './upstream.js'

const servers: net.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** A server that answers every request by `answer(socket, requestText)`. */
async function rawServer(answer: (socket: net.Socket, request: string) => void): Promise<URL> {
  const server = net.createServer((socket) => {
    let text = ''
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      const head = text.indexOf('\r\n\r\n')
      if (head < 0) return
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, head))?.[1] ?? 0)
      if (text.length >= head + 4 + length) answer(socket, text)
    })
    socket.on('error', () => {})
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

function request(origin: URL, method: string, body = ''): UpstreamRequest {
  const bytes = new TextEncoder().encode(body)
  return {
    method,
    origin,
    path: '/orders',
    headers: { 'content-length': String(bytes.length), 'accept-encoding': 'identity' },
    body: bytes,
    timeoutMs: 2_000,
    conditional: false,
  }
}

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p
  } catch (e) {
    if (e instanceof GatewayError) return e
    throw e
  }
  throw new Error('expected a failure')
}

const client = createUpstreamClient({ maxResponseBytes: 100_000, maxSockets: 4 })

describe('the upstream client', () => {
  it('RESP-240 a transfer coding other than chunked (bytes nobody would decode) is refused', async () => {
    const origin = await rawServer((socket) => {
      socket.end(
        'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: gzip, chunked\r\n\r\n' +
          '5\r\nhello\r\n0\r\n\r\n',
      )
    })
    const e = await failure(client.call(request(origin, 'GET')))
    expect(e.code).toBe('UPSTREAM_UNAVAILABLE')
    expect(e.reason).toBe('a transfer coding other than chunked')
  })

  it('RESP-241 chunked framing alone is read, and the body is the dechunked bytes', async () => {
    const origin = await rawServer((socket) => {
      socket.end(
        'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n' +
          '5\r\nhello\r\n0\r\n\r\n',
      )
    })
    const result = await client.call(request(origin, 'GET'))
    expect(new TextDecoder().decode(result.body)).toBe('hello')
    expect(result.headers.map(([n]) => n)).not.toContain('transfer-encoding')
  })

  it('STORE-030 a connection dropped after a POST arrived is WRITE_OUTCOME_UNKNOWN; after a GET, UPSTREAM_UNAVAILABLE', async () => {
    const origin = await rawServer((socket) => socket.destroy())
    const write = await failure(client.call(request(origin, 'POST', '{"item":"tea"}')))
    expect(write.code).toBe('WRITE_OUTCOME_UNKNOWN')
    const read = await failure(client.call(request(origin, 'GET')))
    expect(read.code).toBe('UPSTREAM_UNAVAILABLE')
  })

  it('STORE-031 an upstream that refuses the connection has applied nothing: UPSTREAM_UNAVAILABLE even for a POST', async () => {
    const origin = await rawServer(() => {})
    const port = origin.port
    await new Promise((r) => servers.pop()!.close(r))
    const e = await failure(client.call(request(new URL(`http://127.0.0.1:${port}`), 'POST', '{}')))
    expect(e.code).toBe('UPSTREAM_UNAVAILABLE')
  })

  it("RESP-242 an upstream cannot forge the connector's stamps: its Portcullis-* headers are dropped", () => {
    const read = readResponseHeaders([
      'Content-Type',
      'application/json',
      'Portcullis-Conditional',
      '1',
      'portcullis-actor',
      'x',
    ])
    expect(read).toEqual({ ok: true, headers: [['content-type', 'application/json']] })
  })
})
