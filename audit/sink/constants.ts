/** The audit sink's fixed values, in one place. */

/** The code of the row a message becomes when it is not an event its publisher may send. */
export const AUDIT_EVENT_INVALID = 'AUDIT_EVENT_INVALID'

/** Sender-chosen text (an id, a subject) quoted in a stored reason: at most this many code points. */
export const QUOTE_MAX = 120

/** How long one fetch waits on a quiet stream before the next. */
export const FETCH_EXPIRES_MS = 2_000

/** A failed fetch or write waits this long times the attempts so far, at most `RETRY_MAX_MS`. */
export const RETRY_MS = 500
export const RETRY_MAX_MS = 10_000

/** One log line for the first failure in a row, then one every this many. */
export const LOG_EVERY_FAILURES = 20

/** At stop: how long the mirrors get to send what they hold. */
export const MIRROR_FLUSH_MS = 2_000
