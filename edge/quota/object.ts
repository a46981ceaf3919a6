/**
 * RateQuota: a Durable Object (SQLite-backed) per tenant and route, holding one fixed-window
 * counter. An object handles one call at a time and its storage writes are synchronous, so
 * the count is exact, across every location.
 */
import { DurableObject } from 'cloudflare:workers'
import { takeFromWindow, type QuotaOutcome, type QuotaWindow } from './window.js'

export class RateQuota extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS quota_window (id INTEGER PRIMARY KEY CHECK (id = 1), start INTEGER NOT NULL, count INTEGER NOT NULL)',
    )
  }

  /** RPC: counts one request against `limit` per `periodSeconds`; the caller's clock decides the window. */
  take(limit: number, periodSeconds: number, nowMs: number): QuotaOutcome {
    const sql = this.ctx.storage.sql
    const stored = sql
      .exec<{ start: number; count: number }>('SELECT start, count FROM quota_window WHERE id = 1')
      .toArray()[0] as QuotaWindow | undefined
    const { outcome, next } = takeFromWindow(stored, limit, periodSeconds, nowMs)
    if (next) {
      sql.exec(
        'INSERT OR REPLACE INTO quota_window (id, start, count) VALUES (1, ?, ?)',
        next.start,
        next.count,
      )
    }
    return outcome
  }
}
