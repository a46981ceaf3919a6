/** The mirrors' fixed values, in one place. */

export const DEFAULT_QUEUE = 10_000

/** RFC 5424 facility 13: log audit. */
export const SYSLOG_FACILITY = 13
/** RFC 5424 severities used here. */
export const SEVERITY = { err: 3, warning: 4, notice: 5, info: 6 } as const
/** The SD-ID of the one SD element: 32473 is the enterprise number RFC 5612 sets aside for documentation and examples. */
export const SD_ID = 'portcullis@32473'
export const MSGID_EVENT = 'audit'
export const MSGID_CHECKPOINT = 'checkpoint'

/** RFC 5424 header field limits, in octets (all PRINTUSASCII). */
export const HOSTNAME_MAX = 255
export const APP_NAME_MAX = 48
export const PROCID_MAX = 128
export const MSGID_MAX = 32
export const SD_NAME_MAX = 32

/** RFC 5426: receivers SHOULD take 2048 octets; MSG is cut to fit, the SD never is. */
export const DEFAULT_MAX_MESSAGE_BYTES = 2048
/** The largest UDP payload over IPv4; a longer message cannot be one datagram. */
export const UDP_MAX_PAYLOAD = 65_507
/** Datagrams handed to the socket and not yet confirmed, at most. */
export const UDP_WINDOW = 64

export const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 10_000 }
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000

/** OTLP: records per export, at most; and how long the processor waits to fill one. */
export const OTLP_BATCH_MAX = 512
export const DEFAULT_OTLP_BATCH_DELAY_MS = 200
export const OTLP_SERVICE_NAME = 'portcullis-audit'
export const OTLP_SCOPE = 'portcullis-audit'

/** How often `flush` looks whether the queue has drained. */
export const FLUSH_POLL_MS = 10
