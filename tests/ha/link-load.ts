/**
 * Load through the link as the edge speaks it, without workerd: a WebSocket NATS connection
 * with the edge's credentials to every link node, requests on the edge's own subject, answers
 * on its inbox. Failures map as the edge maps them (`edge/link/`): no answer by the deadline
 * is 504 GATEWAY_TIMEOUT; a connection that is down, refused or has no responders is 503
 * BUS_UNAVAILABLE at once, never a request queued into a dead socket.
 */
import {
  credsAuthenticator,
  errors as natsErrors,
  wsconnect,
  type NatsConnection,
} from '@nats-io/nats-core'
import {
  decodeResponse,
  encodeRequest,
  ERROR_TABLE,
  newRequestId,
  subjects,
  type ErrorCode,
  type HeaderList,
  type RequestEnvelope,
} from '../../core/index.js'
import type { LoadedConfig } from '../../config/index.js'
import { edgeIdentity, readCreds } from '../../topology/index.js'

export type RequestKind = 'get' | 'post'

/** One request as the load saw it: what was sent, when, and what came back. */
export interface Outcome {
  index: number
  kind: RequestKind
  requestId: string
  /** The client's own `Idempotency-Key` (POSTs, when the gateway takes one). */
  key?: string
  /** The order's item (POSTs): unique per request, so the upstream's executions can be counted. */
  item?: string
  /** Milliseconds since the load started, from the monotonic clock. */
  startMs: number
  endMs: number
  status: number
  code?: ErrorCode
}

export interface LinkLoadClient {
  send(kind: RequestKind, index: number): Promise<Omit<Outcome, 'startMs' | 'endMs' | 'index'>>
  /** Replaces the access token POSTs carry (tokens live at most 15 minutes). */
  setActor(token: string): void
  close(): Promise<void>
}

export interface LinkLoadOptions {
  /** The access token a POST carries, as the edge puts it into the envelope. */
  actor: string
  /** Send a client `Idempotency-Key` with every POST. */
  clientKeys: boolean
  /** Distinguishes items of several runs against one upstream. */
  runId: string
}

async function ensureWebSocket(): Promise<void> {
  if (typeof globalThis.WebSocket === 'undefined') {
    const { WebSocket } = await import('ws')
    ;(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket
  }
}

const encoder = new TextEncoder()

function failureCode(error: unknown): ErrorCode {
  return error instanceof natsErrors.TimeoutError ? 'GATEWAY_TIMEOUT' : 'BUS_UNAVAILABLE'
}

export async function connectLinkLoad(
  config: LoadedConfig,
  servers: string[],
  options: LinkLoadOptions,
): Promise<LinkLoadClient> {
  await ensureWebSocket()
  const edgeId = config.edge.id
  const creds = readCreds(config.paths.keys, edgeIdentity(edgeId), 'link')
  const open = () =>
    wsconnect({
      servers,
      authenticator: credsAuthenticator(creds),
      inboxPrefix: subjects.linkInbox(edgeId),
      name: 'ha-link-load',
      // The client's own reconnect under Node hangs after a node goes away (it dials on and
      // never gets back); a fresh connection to any node is what the edge's pool does too.
      reconnect: false,
      timeout: 2_000,
      pingInterval: 30_000,
      noAsyncTraces: true,
    })
  let nc: NatsConnection = await open()
  let up = true
  let closing = false
  const watch = (conn: NatsConnection): void => {
    void conn.closed().then(async () => {
      up = false
      while (!closing) {
        try {
          nc = await open()
          up = true
          watch(nc)
          return
        } catch {
          await new Promise((r) => setTimeout(r, 250))
        }
      }
    })
  }
  watch(nc)
  let actor = options.actor
  const subject = subjects.linkRequest(edgeId)
  return {
    setActor(token) {
      actor = token
    },
    async send(kind, index) {
      const requestId = newRequestId()
      const headers: HeaderList = [['accept', 'application/json']]
      let body = new Uint8Array(0)
      let item: string | undefined
      let key: string | undefined
      if (kind === 'post') {
        item = `ha-${options.runId}-${index}`
        body = encoder.encode(JSON.stringify({ item, quantity: 1 }))
        headers.push(['content-type', 'application/json'], ['content-length', String(body.length)])
        if (options.clientKeys) {
          key = `ha-${options.runId}-${index}`
          headers.push(['idempotency-key', `"${key}"`])
        }
      }
      const env: RequestEnvelope = {
        requestId,
        deadline: Date.now() + config.edge.deadlineMs,
        method: kind === 'post' ? 'POST' : 'GET',
        host: 'demo',
        port: 443,
        path: kind === 'post' ? '/orders' : '/orders/1',
        query: '',
        headers,
        ...(kind === 'post' ? { actor } : {}),
        body,
      }
      const base = { kind, requestId, ...(item ? { item } : {}), ...(key ? { key } : {}) }
      if (!up) return { ...base, status: 503, code: 'BUS_UNAVAILABLE' }
      try {
        const wire = encodeRequest(env)
        const msg = await nc.request(subject, wire.data, {
          headers: wire.headers,
          timeout: config.edge.deadlineMs,
        })
        const res = decodeResponse(msg.headers, msg.data)
        if (res.error) return { ...base, status: ERROR_TABLE[res.error].status, code: res.error }
        return { ...base, status: res.status }
      } catch (e) {
        const code = failureCode(e)
        return { ...base, status: ERROR_TABLE[code].status, code }
      }
    },
    close: async () => {
      closing = true
      await nc.close()
    },
  }
}
