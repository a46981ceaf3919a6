/** What a connector's handler is built from, in either topology (connector.ts makes them). */
import type { IdempotencyGuard } from './idempotency.js'
import type { OnceMemory } from './once.js'
import type { UpstreamRequest } from './request.js'
import type { UpstreamResult } from './upstream.js'

export interface ConnectorParts<Answer> {
  /** The upstream host this connector serves. */
  host: string
  upstream: { baseUrl: string; timeoutMs: number }
  call(req: UpstreamRequest): Promise<UpstreamResult>
  /** Answers kept for a redelivery of a request already answered. */
  memory: OnceMemory<Answer>
  /**
   * Clients' `Idempotency-Key`s (`createIdempotencyStore`). Without it a keyed non-safe
   * request is refused (503), never called without its record.
   */
  idempotency?: IdempotencyGuard
}
