/**
 * One NATS connection to the link server over WebSocket, opened on first use and shared by
 * every request the pool object serves. The edge authenticates with its credentials: the
 * user JWT the link's account signed for it (its permissions, WebSocket only, an expiry) and
 * its nkey, which signs the server's nonce and never leaves the object. Replies arrive under
 * the edge's own inbox prefix, the only subjects its identity may subscribe to.
 *
 * A first connect never takes longer than the request that waits for it has left; while
 * the connection is down and reconnecting, new requests fail at once with BUS_UNAVAILABLE
 * instead of queueing into a dead socket. Requests already in flight keep their own timeout,
 * since the answer can still arrive once the client has reconnected.
 */
import { credsAuthenticator, wsconnect, type NatsConnection } from '@nats-io/nats-core'
import {
  failureReason,
  GatewayError,
  decodeResponse,
  encodeRequest,
  subjects,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import {
  MAX_CONNECT_MS,
  PING_INTERVAL_MS,
  PROBE_TIMEOUT_MS,
  RECONNECT_GIVE_UP_MS,
  RECONNECT_WAIT_MS,
  RETIRE_MAX_MS,
  RETIRE_POLL_MS,
  STALL_AFTER_MS,
  SUSPECT_MS,
} from './constants.js'
import { LinkDownError } from './outcome.js'
import { Replies } from './replies.js'
import { serverOrder } from './urls.js'

export interface LinkSettings {
  /** Every link node's websocket URL: a lost node's connection moves to another. */
  urls: string[]
  /** The creds file text (user JWT and nkey seed) of the edge's link identity. */
  creds: string
  edgeId: string
  /** Shown by the server for this connection. */
  name: string
}

function unavailable(reason: string): GatewayError {
  return new LinkDownError(reason)
}

function timedOut(reason: string): GatewayError {
  return new GatewayError('GATEWAY_TIMEOUT', { reason: `link: ${reason}` })
}

/** Waits for `promise` at most `ms`, then fails with `onTimeout()`. */
async function within<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms))
  })
  try {
    return await Promise.race([promise, expiry])
  } finally {
    if (timer !== null) clearTimeout(timer)
  }
}

export class LinkConnection {
  readonly #settings: LinkSettings
  readonly #now: () => number
  #nc: NatsConnection | undefined
  #replies: Replies | undefined
  #opening: Promise<NatsConnection> | undefined
  #up = false
  /** The connection a probe is running on, if any. */
  #probing: NatsConnection | undefined
  /** Nodes (`host:port`) a connection was dropped from, and until when to try them last. */
  readonly #suspects = new Map<string, number>()

  constructor(settings: LinkSettings, now: () => number = Date.now) {
    this.#settings = settings
    this.#now = now
  }

  /** Sends one request on the edge's link subject and decodes the answer. */
  async request(envelope: RequestEnvelope, timeoutMs: number): Promise<ResponseEnvelope> {
    const deadline = this.#now() + timeoutMs
    const nc = await this.#connection(timeoutMs)
    const left = Math.floor(deadline - this.#now())
    if (left < 1) throw timedOut('deadline passed while connecting')
    const { headers, data } = encodeRequest(envelope)
    let msg
    try {
      msg = await this.#replies!.request(
        subjects.linkRequest(this.#settings.edgeId),
        data,
        headers,
        left,
      )
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'GATEWAY_TIMEOUT') void this.#probe(nc)
      throw e
    }
    return decodeResponse(msg.headers, msg.data)
  }

  /**
   * Publishes messages on `subject` without waiting for anything but the connection; in one
   * go, so the client writes them to the socket together.
   */
  async publish(subject: string, messages: Uint8Array[], budgetMs: number): Promise<void> {
    const nc = await this.#connection(budgetMs)
    for (const data of messages) nc.publish(subject, data)
  }

  async #connection(budgetMs: number): Promise<NatsConnection> {
    const nc = this.#nc
    if (nc && !nc.isClosed()) {
      if (!this.#up) throw unavailable('disconnected, reconnecting')
      return nc
    }
    // One attempt at a time, shared by every request that arrives meanwhile; each waits
    // for it only as long as its own deadline allows.
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined
    })
    // Not a LinkDownError: the request's time went into the attempt, none is left to retry.
    return within(
      this.#opening,
      budgetMs,
      () => new GatewayError('BUS_UNAVAILABLE', { reason: 'link: connect did not finish in time' }),
    )
  }

  async #open(): Promise<NatsConnection> {
    const { urls, creds, edgeId, name } = this.#settings
    let nc: NatsConnection
    try {
      nc = await wsconnect({
        servers: serverOrder(urls, this.#suspects, this.#now()),
        noRandomize: true,
        name,
        authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
        inboxPrefix: subjects.linkInbox(edgeId),
        pingInterval: PING_INTERVAL_MS,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: RECONNECT_WAIT_MS,
        waitOnFirstConnect: false,
        ignoreClusterUpdates: true,
        timeout: MAX_CONNECT_MS,
        // An async stack trace captured for every request costs more than it tells.
        noAsyncTraces: true,
      })
    } catch (e) {
      throw unavailable(`connect failed: ${failureReason(e)}`)
    }
    this.#nc = nc
    this.#replies = new Replies(nc, subjects.linkInbox(edgeId), this.#now)
    this.#up = true
    void this.#watch(nc)
    return nc
  }

  /** A PING on `nc`; without its PONG in time the connection is dropped. */
  async #probe(nc: NatsConnection): Promise<void> {
    if (this.#probing === nc || this.#nc !== nc) return
    this.#probing = nc
    try {
      await within(nc.flush(), PROBE_TIMEOUT_MS, () => new Error('no PONG'))
    } catch {
      this.#drop(nc, 'the link node did not answer a PING')
    } finally {
      if (this.#probing === nc) this.#probing = undefined
    }
  }

  /** Forgets `nc` (its waiting requests fail at once) and closes it without waiting. */
  #drop(nc: NatsConnection, reason: string, close = true): void {
    if (this.#nc === nc) {
      this.#replies?.close(reason)
      this.#nc = undefined
      this.#replies = undefined
      this.#up = false
    }
    if (!close) return
    const at = nc.getServer()
    if (at) this.#suspects.set(at, this.#now() + SUSPECT_MS)
    void nc.close().catch(() => undefined)
  }

  /**
   * The node `nc` is on entered lame duck mode (a planned restart: it takes no new clients and
   * closes its connections after a grace period). New requests go to a fresh connection on
   * another node at once; the ones in flight get their answers on this one, which is closed
   * once none waits.
   */
  #retire(nc: NatsConnection): void {
    if (this.#nc !== nc) return
    const replies = this.#replies!
    const at = nc.getServer()
    if (at) this.#suspects.set(at, this.#now() + SUSPECT_MS)
    this.#nc = undefined
    this.#replies = undefined
    this.#up = false
    const until = this.#now() + RETIRE_MAX_MS
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearInterval(poll)
      replies.close('the link node went away')
      void nc.close().catch(() => undefined)
    }
    const poll = setInterval(() => {
      if (replies.waiting === 0 || this.#now() > until) finish()
    }, RETIRE_POLL_MS)
    void nc.closed().then(finish, finish)
  }

  async #watch(nc: NatsConnection): Promise<void> {
    const forget = () => this.#drop(nc, 'connection closed', false)
    void nc.closed().then(forget, forget)
    const replies = this.#replies!
    const stallCheck = setInterval(() => {
      if (replies.stalled(STALL_AFTER_MS)) void this.#probe(nc)
    }, STALL_AFTER_MS)
    let stuck: ReturnType<typeof setTimeout> | null = null
    try {
      for await (const status of nc.status()) {
        if (this.#nc !== nc) break
        if (status.type === 'disconnect') {
          this.#up = false
          stuck ??= setTimeout(
            () => this.#drop(nc, 'reconnect took too long'),
            RECONNECT_GIVE_UP_MS,
          )
        } else if (status.type === 'reconnect') {
          this.#up = true
          if (stuck !== null) clearTimeout(stuck)
          stuck = null
        } else if (status.type === 'ldm') {
          this.#retire(nc)
        }
      }
    } finally {
      clearInterval(stallCheck)
      if (stuck !== null) clearTimeout(stuck)
    }
  }
}
