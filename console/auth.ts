/**
 * The console's login token: random, printed by `portcullis up` at start, presented by the
 * page as a bearer token on every API call. Compared in constant time (of its digest), so
 * the time of a refusal says nothing about how much of a guess was right.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { SetupError } from '../core/index.js'

export const CONSOLE_TOKEN_ENV = 'PORTCULLIS_CONSOLE_TOKEN'
const MIN_TOKEN_LENGTH = 32

export function newConsoleToken(): string {
  return randomBytes(32).toString('base64url')
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()

/** A check of `Authorization: Bearer <token>` against `token`. */
export function tokenCheck(token: string): (authorization: string | undefined) => boolean {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new SetupError(
      'ENV_INVALID',
      `${CONSOLE_TOKEN_ENV}: too short (${MIN_TOKEN_LENGTH} characters at least)`,
    )
  }
  const want = digest(token)
  return (authorization) => {
    const m = /^Bearer ([A-Za-z0-9_-]{1,256})$/.exec(authorization ?? '')
    return m !== null && timingSafeEqual(digest(m[1]!), want)
  }
}
