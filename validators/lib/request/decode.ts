/**
 * Decodes a dirty request. An envelope whose context is sound but one of whose HTTP headers
 * the codec refuses (a NUL or another control character, an over-long value, too many
 * headers) is still answerable: its reply stamp is the relay's. It comes back without its
 * HTTP headers and with the fault, so the validator answers HEADER_INVALID instead of
 * dropping it and leaving the client to time out. Anything else unreadable throws.
 */
import { headers as natsHeaders } from '@nats-io/nats-core'
import {
  decodeRequest,
  failureReason,
  type BusMessage,
  type RequestEnvelope,
} from '../../../core/index.js'

/** The envelope's prefix for HTTP headers (core/envelope). */
const HTTP_PREFIX = 'H-'

export interface DirtyRequest {
  env: RequestEnvelope
  /** Set when the HTTP headers were unreadable: what the client is told, and why. */
  headerFault?: { detail: string; reason: string }
}

export function decodeDirtyRequest(msg: BusMessage): DirtyRequest {
  try {
    return { env: decodeRequest(msg.headers, msg.data) }
  } catch (e) {
    if (!msg.headers) throw e
    const context = natsHeaders()
    let hadHttp = false
    for (const key of msg.headers.keys()) {
      if (key.startsWith(HTTP_PREFIX)) hadHttp = true
      else for (const value of msg.headers.values(key)) context.append(key, value)
    }
    if (!hadHttp) throw e
    // Throws when the context itself is unreadable: then there is nobody to answer.
    const env = decodeRequest(context, msg.data)
    return {
      env,
      headerFault: {
        detail: 'a header has characters or a size an envelope cannot carry',
        reason: failureReason(e),
      },
    }
  }
}
