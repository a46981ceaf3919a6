/**
 * The default `fetch` of both token workers: 404 problem+json for every method and path.
 * Minting is reachable only through a service binding, so nothing here is a route.
 */
import { PROBLEM_CONTENT_TYPE, problemFor } from '../../core/errors/index.js'

export function notFound(): Response {
  const requestId = crypto.randomUUID().replaceAll('-', '')
  return new Response(JSON.stringify(problemFor('ROUTE_NOT_FOUND', requestId)), {
    status: 404,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      'x-request-id': requestId,
      'cache-control': 'no-store',
    },
  })
}
