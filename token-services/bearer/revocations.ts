/**
 * `Revocations`: one shard of the revocation list, a SQLite-backed Durable Object, so every
 * isolate of every location sees the same answer. Rows are deleted by an alarm set to the
 * earliest `keep_until`, so the table holds only entries whose token could still be alive.
 */
import { DurableObject } from 'cloudflare:workers'
import { epochSeconds } from '../shared/index.js'
import type { BearerEnv } from './env.js'

export class Revocations extends DurableObject<BearerEnv> {
  private readonly sql: SqlStorage

  constructor(ctx: DurableObjectState, env: BearerEnv) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.sql.exec(
      'CREATE TABLE IF NOT EXISTS revoked (jti TEXT PRIMARY KEY, keep_until INTEGER NOT NULL)',
    )
    this.sql.exec('CREATE INDEX IF NOT EXISTS revoked_keep_until ON revoked (keep_until)')
  }

  /** Records `jti` as revoked until `keepUntil` (seconds); a later date of a repeat wins. */
  async revoke(jti: string, keepUntil: number): Promise<void> {
    this.sql.exec(
      `INSERT INTO revoked (jti, keep_until) VALUES (?, ?)
       ON CONFLICT (jti) DO UPDATE SET keep_until = max(keep_until, excluded.keep_until)`,
      jti,
      keepUntil,
    )
    const alarm = await this.ctx.storage.getAlarm()
    if (alarm === null || alarm > keepUntil * 1000)
      await this.ctx.storage.setAlarm(keepUntil * 1000)
  }

  async isRevoked(jti: string): Promise<boolean> {
    const now = epochSeconds(Date.now())
    const hit = this.sql.exec('SELECT 1 FROM revoked WHERE jti = ? AND keep_until > ?', jti, now)
    return hit.toArray().length > 0
  }

  /** Deletes what has expired and sets the next alarm to the earliest entry left. */
  override async alarm(): Promise<void> {
    this.sql.exec('DELETE FROM revoked WHERE keep_until <= ?', epochSeconds(Date.now()))
    const next = this.sql
      .exec<{ next: number | null }>('SELECT min(keep_until) AS next FROM revoked')
      .one().next
    if (next !== null) await this.ctx.storage.setAlarm(next * 1000)
  }
}
