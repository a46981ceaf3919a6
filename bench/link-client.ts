/**
 * The edge's path without workerd: a Node client that speaks to the link exactly as the
 * edge's Durable Object does (WebSocket, the edge's credentials, its own request subject), so the
 * on-prem pipeline can be measured on its own.
 */
import { credsAuthenticator, wsconnect, type NatsConnection } from '@nats-io/nats-core'
import {
  decodeResponse,
  encodeRequest,
  newRequestId,
  subjects,
  type RequestEnvelope,
} from '../core/index.js'
import type { LoadedConfig } from '../config/index.js'
import { describeTopology, edgeIdentity, linkWebsocketUrls, readCreds } from '../topology/index.js'

async function ensureWebSocket(): Promise<void> {
  if (typeof globalThis.WebSocket === 'undefined') {
    const { WebSocket } = await import('ws')
    ;(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket
  }
}

export interface LinkClient {
  get(path: string): Promise<number>
  close(): Promise<void>
}

export async function connectLinkClient(config: LoadedConfig): Promise<LinkClient> {
  await ensureWebSocket()
  const edgeId = config.edge.id
  const creds = readCreds(config.paths.keys, edgeIdentity(edgeId), 'link')
  const nc: NatsConnection = await wsconnect({
    // Every link node's WebSocket listener (one, or three with `bus.nodes: 3`), as the edge dials.
    servers: linkWebsocketUrls(describeTopology(config)),
    authenticator: credsAuthenticator(creds),
    inboxPrefix: subjects.linkInbox(edgeId),
    name: 'bench-link-client',
  })
  const subject = subjects.linkRequest(edgeId)
  return {
    async get(path) {
      const env: RequestEnvelope = {
        requestId: newRequestId(),
        deadline: Date.now() + config.edge.deadlineMs,
        method: 'GET',
        host: 'demo',
        port: 443,
        path,
        query: '',
        headers: [['accept', 'application/json']],
        body: new Uint8Array(0),
      }
      const wire = encodeRequest(env)
      const msg = await nc.request(subject, wire.data, {
        headers: wire.headers,
        timeout: config.edge.deadlineMs,
      })
      const res = decodeResponse(msg.headers, msg.data)
      return res.status
    },
    close: () => nc.close(),
  }
}
