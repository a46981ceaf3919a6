/**
 * The NATS header names of an envelope, in one place for the codec and for whatever reads an
 * envelope without decoding it (the relay answering one it cannot read, metrics, tracing).
 */
export const ENVELOPE_HEADERS = {
  version: 'Portcullis-Envelope',
  kind: 'Portcullis-Kind',
  requestId: 'Portcullis-Request-Id',
  deadline: 'Portcullis-Deadline',
  method: 'Portcullis-Method',
  host: 'Portcullis-Host',
  port: 'Portcullis-Port',
  path: 'Portcullis-Path',
  query: 'Portcullis-Query',
  edgeId: 'Portcullis-Edge',
  replyTo: 'Portcullis-Reply',
  operation: 'Portcullis-Operation',
  receivedAt: 'Portcullis-Received',
  traceparent: 'Portcullis-Traceparent',
  tracestate: 'Portcullis-Tracestate',
  actor: 'Portcullis-Actor',
  status: 'Portcullis-Status',
  error: 'Portcullis-Error',
  detail: 'Portcullis-Error-Detail',
} as const

/** An HTTP header `name` travels as the NATS header `H-<name>`. */
export const HTTP_HEADER_PREFIX = 'H-'

/** NATS header that JetStream uses to de-duplicate publishes. */
export const MSG_ID_HEADER = 'Nats-Msg-Id'
