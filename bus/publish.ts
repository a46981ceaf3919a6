/**
 * JetStream publishes of envelopes on one connection, each acknowledged, without a request
 * object per publish: one reply subscription under the component's inbox prefix, a map of the
 * publishes waiting for their PubAck, and one timer that expires the late ones. (nats.js
 * `js.publish` makes a request per call: a promise, a timer and an error object each, which
 * showed in every stage's profile.) The wire is what `js.publish` sends: the envelope's
 * headers with `Nats-Msg-Id` (the request id) and `Nats-Expected-Stream`.
 *
 * A publish still waiting when the connection drops is sent again once it is back (on another
 * node of a cluster, say): the one it sent may never have reached a server, and the stream
 * stores a message id once, so a second copy is harmless. For the same reason a publish left
 * unanswered for `RESEND_AFTER_MS` is sent again (then after twice as long, and so on) until
 * its bound: a clustered stream whose leader moves while the message is on its way drops the
 * proposal without a word, and the first copy would otherwise wait out the whole bound.
 */
import { nuid, type Msg, type NatsConnection } from '@nats-io/nats-core'
import { MSG_ID_HEADER, type WireMessage } from '../core/index.js'

const EXPECTED_STREAM = 'Nats-Expected-Stream'
/** How often late publishes are expired: a timeout fires at most this much after its time. */
const SWEEP_MS = 100
/** Silence after which a publish is sent again; doubles per copy, up to `RESEND_MAX_MS`. */
export const RESEND_AFTER_MS = 1_000
const RESEND_MAX_MS = 4_000
const decoder = new TextDecoder()

export interface PublishAck {
  stream: string
  seq: number
  duplicate: boolean
}

export interface EnvelopePublisher {
  publish(
    subject: string,
    wire: WireMessage,
    opts: { stream: string; msgId: string; timeoutMs: number },
  ): Promise<PublishAck>
  close(): void
}

interface Waiting {
  resolve(ack: PublishAck): void
  reject(e: Error): void
  expires: number
  /** When it is sent again if still unanswered, and the wait after that. */
  resendAt: number
  resendAfter: number
  /** Writes the publish (again). */
  send(): void
}

export function createEnvelopePublisher(
  nc: NatsConnection,
  inboxPrefix: string,
): EnvelopePublisher {
  const prefix = `${inboxPrefix}.${nuid.next()}.`
  const waiting = new Map<string, Waiting>()
  let next = 0
  let timer: ReturnType<typeof setInterval> | undefined

  const settle = (token: string, msg: Msg): void => {
    const w = waiting.get(token)
    if (!w) return
    waiting.delete(token)
    if (msg.data.length === 0) {
      // A status instead of an answer: 503 is no stream listening on the subject.
      const status = msg.headers?.code ?? 0
      w.reject(new Error(status === 503 ? 'no responders' : `status ${status}`))
      return
    }
    try {
      const ack = JSON.parse(decoder.decode(msg.data)) as {
        stream?: string
        seq?: number
        duplicate?: boolean
        error?: { description?: string; err_code?: number }
      }
      if (ack.error) {
        w.reject(new Error(ack.error.description ?? `error ${ack.error.err_code ?? ''}`))
        return
      }
      w.resolve({ stream: ack.stream ?? '', seq: ack.seq ?? 0, duplicate: ack.duplicate === true })
    } catch (e) {
      w.reject(e instanceof Error ? e : new Error(String(e)))
    }
  }

  const sub = nc.subscribe(`${prefix}*`, {
    callback: (err, msg) => {
      if (!err) settle(msg.subject.slice(prefix.length), msg)
    },
  })

  void (async () => {
    for await (const status of nc.status()) {
      if (status.type !== 'reconnect') continue
      for (const w of waiting.values()) {
        try {
          w.send()
        } catch {
          // Closed again: the sweep expires it.
        }
      }
    }
  })()

  const sweep = (): void => {
    const now = Date.now()
    for (const [token, w] of waiting) {
      if (w.expires <= now) {
        waiting.delete(token)
        w.reject(new Error('timeout'))
        continue
      }
      if (w.resendAt > now) continue
      w.resendAfter = Math.min(w.resendAfter * 2, RESEND_MAX_MS)
      w.resendAt = now + w.resendAfter
      try {
        w.send()
      } catch {
        // Disconnected: the reconnect sends it again.
      }
    }
    if (waiting.size === 0 && timer) {
      clearInterval(timer)
      timer = undefined
    }
  }

  return {
    publish(subject, wire, opts) {
      const token = (next++).toString(36)
      const h = wire.headers
      if (h.get(MSG_ID_HEADER) !== opts.msgId) h.set(MSG_ID_HEADER, opts.msgId)
      h.set(EXPECTED_STREAM, opts.stream)
      const send = () => nc.publish(subject, wire.data, { headers: h, reply: prefix + token })
      return new Promise<PublishAck>((resolve, reject) => {
        const now = Date.now()
        waiting.set(token, {
          resolve,
          reject,
          expires: now + opts.timeoutMs,
          resendAt: now + RESEND_AFTER_MS,
          resendAfter: RESEND_AFTER_MS,
          send,
        })
        if (!timer) {
          timer = setInterval(sweep, SWEEP_MS)
          timer.unref()
        }
        try {
          send()
        } catch (e) {
          waiting.delete(token)
          reject(e instanceof Error ? e : new Error(String(e)))
        }
      })
    },
    close() {
      if (timer) clearInterval(timer)
      timer = undefined
      // Drained with its connection already, at a component's stop.
      if (!nc.isClosed()) sub.unsubscribe()
      for (const w of waiting.values()) w.reject(new Error('closed'))
      waiting.clear()
    },
  }
}
