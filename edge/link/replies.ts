/**
 * Request and reply on the link without nats-core's `request()`: one subscription under the
 * edge's inbox, one pending entry per request, keyed by the last token of the reply subject.
 * nats-core's request builds an Error object for every call it completes (to reject an
 * already settled promise), which in workerd cost a sixth of the edge's CPU; this keeps
 * the same protocol (the relay answers to the message's reply subject) without that.
 */
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/nats-core'
import { GatewayError } from '../../core/index.js'
import { LinkDownError } from './outcome.js'

/** The status nats-server sends to a reply subject when nobody listens on the request subject. */
const NO_RESPONDERS = 503

interface Pending {
  resolve(msg: Msg): void
  reject(error: GatewayError): void
  timer: ReturnType<typeof setTimeout>
  sentAt: number
}

export class Replies {
  readonly #nc: NatsConnection
  readonly #prefix: string
  readonly #pending = new Map<string, Pending>()
  readonly #sub: Subscription
  readonly #now: () => number
  #next = 0
  /** When the last answer arrived (or the object was made). */
  #lastAnswerAt: number

  /** `inboxPrefix` must be a subject the connection may subscribe below. */
  constructor(nc: NatsConnection, inboxPrefix: string, now: () => number = Date.now) {
    this.#nc = nc
    this.#now = now
    this.#lastAnswerAt = now()
    this.#prefix = `${inboxPrefix}.${randomToken()}`
    this.#sub = nc.subscribe(`${this.#prefix}.*`, {
      callback: (_err, msg) => this.#settle(msg),
    })
  }

  request(subject: string, data: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<Msg> {
    const token = (this.#next++).toString(36)
    const reply = `${this.#prefix}.${token}`
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token)
        reject(new GatewayError('GATEWAY_TIMEOUT', { reason: 'link: no answer in time' }))
      }, timeoutMs)
      this.#pending.set(token, { resolve, reject, timer, sentAt: this.#now() })
      this.#nc.publish(subject, data, { headers, reply })
    })
  }

  #settle(msg: Msg | undefined): void {
    if (!msg) return
    const token = msg.subject.slice(this.#prefix.length + 1)
    const pending = this.#pending.get(token)
    if (!pending) return
    this.#lastAnswerAt = this.#now()
    this.#pending.delete(token)
    clearTimeout(pending.timer)
    if (msg.data.length === 0 && msg.headers?.code === NO_RESPONDERS) {
      // Nobody received it: as unsent as a request that never left, and as safe to try again.
      pending.reject(new LinkDownError('no relay listens'))
    } else {
      pending.resolve(msg)
    }
  }

  /**
   * True when a request has waited longer than `ms` and nothing was answered since it was
   * sent: the connection may be dead without the socket having said so.
   */
  stalled(ms: number): boolean {
    const oldest = this.#pending.values().next().value
    if (!oldest) return false
    return this.#now() - oldest.sentAt > ms && this.#lastAnswerAt < oldest.sentAt
  }

  /** How many requests wait for their answer. */
  get waiting(): number {
    return this.#pending.size
  }

  /** Fails every waiting request: the connection is gone for good. */
  close(reason: string): void {
    for (const [token, pending] of this.#pending) {
      clearTimeout(pending.timer)
      pending.reject(new GatewayError('BUS_UNAVAILABLE', { reason: `link: ${reason}` }))
      this.#pending.delete(token)
    }
    this.#sub.unsubscribe()
  }
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9))
  let out = ''
  for (const b of bytes) out += (b % 36).toString(36)
  return out
}
