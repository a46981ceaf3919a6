/** Longest one connect attempt may take; a request waits for it only as long as its deadline allows. */
export const MAX_CONNECT_MS = 5_000
/** Idle proxied WebSockets get reaped: ping well inside that. */
export const PING_INTERVAL_MS = 30_000
export const RECONNECT_WAIT_MS = 250
/** Extra time the worker gives a pool object beyond the request's deadline before it stops waiting. */
export const RPC_GRACE_MS = 1_000
export const POOL_NAME_PREFIX = 'link-'
export const MAX_POOL_SIZE = 64
