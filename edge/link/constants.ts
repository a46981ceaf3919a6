/** Longest one connect attempt may take; a request waits for it only as long as its deadline allows. */
export const MAX_CONNECT_MS = 5_000
/** Idle proxied WebSockets get reaped: ping well inside that. */
export const PING_INTERVAL_MS = 30_000
export const RECONNECT_WAIT_MS = 250
/** Extra time the worker gives a pool object beyond the request's deadline before it stops waiting. */
export const RPC_GRACE_MS = 1_000
export const POOL_NAME_PREFIX = 'link-'
export const MAX_POOL_SIZE = 64
/** A shard whose link is down is skipped this long before a request tries it again. */
export const LINK_DOWN_SKIP_MS = 1_000
/** Shards one request tries in a row when the ones before could not send it. */
export const MAX_SHARD_ATTEMPTS = 3
/** With every link down, a request not sent yet is tried again after this pause. */
export const UNSENT_RETRY_PAUSE_MS = 250
/**
 * A request not sent yet is tried for at most this long (and the first half of its
 * deadline): long enough to ride over a link node or relay restarting, short enough that a
 * link that is down for good answers 503 soon.
 */
export const UNSENT_RETRY_WINDOW_MS = 3_000
/** Nodes a link may have: a cluster of 3, with room for a larger one. */
export const MAX_LINK_URLS = 16
/** A connection still reconnecting after this long is dropped; the next request opens a new one. */
export const RECONNECT_GIVE_UP_MS = 3_000
/**
 * A request unanswered this long with no answer on its connection since it was sent has the
 * connection probed (a PING); a socket can die without saying so.
 */
export const STALL_AFTER_MS = 1_000
/** A probe's PONG must come back within this, or the connection is dropped. */
export const PROBE_TIMEOUT_MS = 1_500
/** A node a connection was dropped from is tried last by this object's next connects for this long. */
export const SUSPECT_MS = 30_000
/**
 * A connection whose node entered lame duck mode is closed once its requests in flight are
 * answered (checked this often), or after `RETIRE_MAX_MS` at the latest.
 */
export const RETIRE_POLL_MS = 50
export const RETIRE_MAX_MS = 30_000
