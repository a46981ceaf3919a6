/**
 * LinkPool: a Durable Object that holds one warm link connection. A stateless worker cannot
 * share a WebSocket between requests; an object can, so the worker spreads requests over a
 * few of these (`link-0` .. `link-<n-1>`) and each keeps its connection open between them.
 */
import { DurableObject } from 'cloudflare:workers'
import type { RequestEnvelope } from '../../core/index.js'
import { LinkConnection } from './connection.js'
import { failure, type LinkOutcome } from './outcome.js'

export class LinkPool extends DurableObject<Env> {
  #link: LinkConnection | undefined

  /** RPC: carries one request over the link; never throws, the outcome says what happened. */
  async send(request: RequestEnvelope, timeoutMs: number): Promise<LinkOutcome> {
    try {
      this.#link ??= new LinkConnection({
        url: this.env.LINK_URL,
        creds: this.env.LINK_CREDS,
        edgeId: this.env.EDGE_ID,
        name: `edge-${this.env.EDGE_ID}/${this.ctx.id.toString().slice(0, 12)}`,
      })
      return { ok: true, response: await this.#link.request(request, timeoutMs) }
    } catch (e) {
      const outcome = failure(e)
      console.warn(
        JSON.stringify({ event: 'link-failed', requestId: request.requestId, ...outcome }),
      )
      return outcome
    }
  }
}
