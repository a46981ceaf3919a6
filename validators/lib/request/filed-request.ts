/**
 * A dirty request as a stage that answers it takes it: decoded leniently (a header fault is
 * the stage's refusal to make, not a drop), stamped by the relay with its edge and reply
 * inbox, and filed under the edge it names. Anything else is dropped, never answered: an
 * envelope naming another edge than its subject carries that edge's reply inbox, and
 * answering it would reach an edge the subject does not certify.
 */
import {
  decodeRequestLeniently,
  failureReason,
  parseDirtyRequest,
  type BusMessage,
  type LenientRequest,
} from '../../../core/index.js'

export interface FiledRequest extends LenientRequest {
  /** The edge and host the subject files it under (the relay's, from the edge's own grant). */
  filed: { edgeId: string; host: string }
}

export interface Dropped {
  kind: 'drop'
  reason: string
  requestId?: string
}

/** `onlyHost`: a connector serving one host drops a request for any other. */
export function readFiledRequest(msg: BusMessage, onlyHost?: string): FiledRequest | Dropped {
  let read: LenientRequest
  try {
    read = decodeRequestLeniently(msg.headers, msg.data)
  } catch (e) {
    return { kind: 'drop', reason: failureReason(e) }
  }
  const { env } = read
  const { requestId } = env
  if (!env.edgeId || !env.replyTo) {
    return { kind: 'drop', reason: 'envelope has no edge or reply stamp', requestId }
  }
  const filed = parseDirtyRequest(msg.subject)
  if (onlyHost !== undefined && (!filed || filed.host !== onlyHost || env.host !== onlyHost)) {
    return {
      kind: 'drop',
      reason: `request for host ${env.host} filed under ${msg.subject}`,
      requestId,
    }
  }
  if (!filed) return { kind: 'drop', reason: 'not a dirty request subject', requestId }
  if (filed.edgeId !== env.edgeId) {
    return {
      kind: 'drop',
      reason: `envelope names edge ${env.edgeId}, its subject edge ${filed.edgeId}`,
      requestId,
    }
  }
  return { ...read, filed }
}
