/**
 * What the credentials say, from the description: a grant as a user JWT's permissions, and a
 * bus's account limits. Allow-lists only, never a deny list; every user pinned to one
 * connection type; every account refusing bearer JWTs.
 */
import type { Account, OperatorLimits, User } from '@nats-io/jwt'
import { SetupError } from '../../core/index.js'
import type { BusSpec, Grant } from './types.js'

/** Subjects in grants: NATS tokens plus wildcards, nothing a JWT consumer could misread. */
const SUBJECT = /^[A-Za-z0-9_$-]+(?:\.(?:[A-Za-z0-9_$-]+|\*|>))*$|^>$/

function allowList(bus: BusSpec, grant: Grant, kind: 'publish' | 'subscribe'): string[] {
  const subjects = grant[kind]
  // nats-server reads an empty allow-list as "no restriction": refuse to issue one.
  if (subjects.length === 0) {
    throw new SetupError(
      'TOPOLOGY_INVALID',
      `grant of ${grant.identity} on ${bus.name} has an empty ${kind} list`,
    )
  }
  for (const s of subjects) {
    if (!SUBJECT.test(s)) {
      throw new SetupError(
        'TOPOLOGY_INVALID',
        `grant of ${grant.identity} on ${bus.name}: bad subject ${JSON.stringify(s)}`,
      )
    }
  }
  return [...subjects]
}

/**
 * The permissions a grant becomes in a user JWT: its allow-lists (never a deny list) and the
 * one connection type it may use. The link's WebSocket listener thereby admits only the edge
 * identity, and a leaked edge credential cannot be used over plain TCP.
 */
export function userClaimsOf(bus: BusSpec, grant: Grant): Partial<User> {
  if (grant.websocketOnly && bus.websocketPort === undefined) {
    throw new SetupError(
      'TOPOLOGY_INVALID',
      `${grant.identity} is WebSocket-only but ${bus.name} has no WebSocket listener`,
    )
  }
  return {
    pub: { allow: allowList(bus, grant, 'publish') },
    sub: { allow: allowList(bus, grant, 'subscribe') },
    allowed_connection_types: [grant.websocketOnly ? 'WEBSOCKET' : 'STANDARD'],
    // What encodeUser adds by default, written out so a stored JWT compares equal.
    subs: -1,
    data: -1,
    payload: -1,
  }
}

function accountLimits(jetstream: boolean): OperatorLimits {
  return {
    subs: -1,
    data: -1,
    payload: -1,
    imports: -1,
    exports: -1,
    wildcards: true,
    conn: -1,
    // No server has a leafnode listener; no account needs one.
    leaf: 0,
    // Every user proves its key by signing the server's nonce; a JWT alone is never enough.
    disallow_bearer: true,
    // JetStream on for the account; the server's max_file_store bounds it.
    ...(jetstream ? { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } : {}),
  }
}

/** An account JWT's claims: its limits and the user keys it revokes (public key -> time). */
export function accountClaimsOf(
  jetstream: boolean,
  revocations: Record<string, number>,
): Partial<Account> {
  return {
    limits: accountLimits(jetstream),
    ...(Object.keys(revocations).length > 0 ? { revocations } : {}),
  }
}
