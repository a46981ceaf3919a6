/** Helpers for the token workers' tests (run inside workerd; never imported by a worker). */
import { expect } from 'vitest'
import { tokenServiceErrorCode, type TokenServiceErrorCode } from '../shared/index.js'

/** Awaits a refusal and returns it, checking its code (read the way an RPC caller reads it). */
export async function refusal(
  promise: Promise<unknown>,
  code: TokenServiceErrorCode,
): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, `expected ${code}`).toBeInstanceOf(Error)
  expect(tokenServiceErrorCode(error)).toBe(code)
  return error as Error
}

/** Every path a client might try, with the methods a client might use. */
export const PROBE_PATHS = [
  '/',
  '/mint',
  '/Mint',
  '/jwks',
  '/.well-known/jwks.json',
  '/revoke',
  '/isRevoked',
  '/AccessTokenService/mint',
  '/BearerTokenService/mint',
  '/%2e%2e/mint',
  '/mint?sub=alice',
]
export const PROBE_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD']
