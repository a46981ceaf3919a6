/**
 * The edge location an isolate serves, which names its link pool shards: Cloudflare's colo
 * code from `request.cf` (set by the platform, never by the client), lowercased; `local`
 * where there is none (the tests' requests) or it is not a colo code.
 */
const COLO = /^[A-Z]{3,4}$/

export function locationOf(request: Request): string {
  const colo = (request.cf as { colo?: unknown } | undefined)?.colo
  return typeof colo === 'string' && COLO.test(colo) ? colo.toLowerCase() : 'local'
}
