/** The audit store's fixed values, in one place. */

/** The env var that overrides `audit.databaseUrl` (a URL with a password stays out of files). */
export const AUDIT_DATABASE_URL_ENV = 'PORTCULLIS_AUDIT_DATABASE_URL'

/** Under the config's `paths.data`: the embedded store's folder and its lock file. */
export const EMBEDDED_DIR = 'audit'
export const EMBEDDED_LOCK = 'audit.lock'
/** Under `paths.data`: the running sink's read-only socket onto the embedded store (mode 0600). */
export const EMBEDDED_SOCKET = 'audit.sock'

/** Under the config's `paths.keys`: the checkpoint signing key pair. */
export const KEY_DIR = 'audit'
export const PRIVATE_KEY_FILE = 'checkpoint.key'
export const PUBLIC_KEY_FILE = 'checkpoint.pub'

/** The group role an operator grants to the sink's login on PostgreSQL. */
export const WRITER_ROLE = 'portcullis_audit_writer'

/** The `prev_hash` of row 1. */
export const GENESIS_HASH = '0'.repeat(64)

/** First element of every hashed row and every signed checkpoint: the encoding's version. */
export const ROW_ENCODING = 'portcullis-audit-row-v1'
export const CHECKPOINT_ENCODING = 'portcullis-audit-checkpoint-v1'

/** Any one row's canonical encoding above this is refused (the event is rejected). */
export const ROW_MAX_BYTES = 64 * 1024
export const ID_MAX_LENGTH = 256

/**
 * One key for `pg_advisory_xact_lock`, held by every append, checkpoint and migration:
 * appenders in several processes take seq numbers one at a time.
 */
export const CHAIN_LOCK = 0x70_63_61_75 // 'pcau'

export const QUERY_DEFAULT_LIMIT = 100
export const QUERY_MAX_LIMIT = 10_000
/** Rows per page when verify walks the chain. */
export const VERIFY_PAGE_ROWS = 5_000
/** How far verify looks ahead for the row that belongs where a broken one stands. */
export const VERIFY_LOOKAHEAD = 100
/** Rows or checkpoints per answer of the sink's reader socket, at most. */
export const READER_MAX_ROWS = 5_000
/** An answer of rows stops short of this many bytes of JSON (at least one row goes). */
export const READER_PAGE_BYTES = 16 * 1024 * 1024
/** How long the CLI waits for one answer from the sink's reader socket. */
export const READER_TIMEOUT_MS = 60_000
