/**
 * The key folder (`paths.keys`) as `portcullis check` reports it: every key, seed, credential
 * and secret the configured topology needs, read with the same functions the components use
 * (which refuse a file others can read or one of the wrong kind), without creating anything.
 * Missing files are generated at first start (`portcullis up`, `portcullis keys`); a file that
 * is there but unreadable, corrupt or expired stops a component.
 */
import { existsSync } from 'node:fs'
import { decode, type User } from '@nats-io/jwt'
import { auditKeyPaths, readAuditSigningKey } from '../../audit/store/index.js'
import { parseUserCreds, SetupError, type BusName } from '../../core/index.js'
import {
  accountSeedPath,
  credsPath,
  natsServersOf,
  operatorSeedPath,
  readCreds,
  readRouteSecret,
  readSeedFile,
  routeSecretPath,
  seedPath,
  SYSTEM_ACCOUNT,
  type Topology,
} from '../../topology/index.js'
import { loadSigningKeys, signingKeysSecret } from '../../token-services/shared/index.js'
import { JWK_SERVICES, jwkPath, readJwkKey } from '../jwk-keys.js'

export const KEY_FILE_KINDS = [
  'operator seed',
  'account seed',
  'identity seed',
  'bus credentials',
  'route secret',
  'signing key',
  'audit key',
] as const
export type KeyFileKind = (typeof KEY_FILE_KINDS)[number]

/** `due`: valid, but a third or less of its lifetime is left (`portcullis keys` renews it). */
export type KeyState = 'ok' | 'missing' | 'due' | 'expired' | 'invalid'

export interface KeyItem {
  kind: KeyFileKind
  /** `relay on dreq`, `the operator`, `access`, ... */
  name: string
  path: string
  state: KeyState
  /** ISO time, for credentials. */
  expiresAt?: string
  /** Why it is `invalid`, `expired` or `due`. */
  problem?: string
}

interface KeyCheck {
  kind: KeyFileKind
  name: string
  path: string
  /** Throws when the file cannot be used; returns the expiry (Unix seconds) when it has one. */
  read(): Promise<number | undefined> | number | undefined
  /** Seconds of lifetime a fresh one gets, for "renewal due". */
  lifetimeSeconds?: number
}

const RENEW_WHEN_LEFT = 1 / 3

function credsExpiry(dir: string, identity: string, bus: BusName) {
  const text = new TextDecoder().decode(readCreds(dir, identity, bus))
  const jwt = parseUserCreds(text)!.jwt
  let exp: number | undefined
  try {
    exp = decode<User>(jwt).exp
  } catch {
    const file = credsPath(dir, bus, identity)
    throw new SetupError('KEY_INVALID', `credentials ${file} hold no readable user JWT`, { file })
  }
  return exp
}

function checksOf(dir: string, topology: Topology, ttlSeconds: number): KeyCheck[] {
  const checks: KeyCheck[] = [
    {
      kind: 'operator seed',
      name: 'the operator',
      path: operatorSeedPath(dir),
      read: () => void readSeedFile(operatorSeedPath(dir), 'operator', 'the operator'),
    },
  ]
  for (const account of [SYSTEM_ACCOUNT, ...topology.buses.map((b) => b.name)]) {
    const path = accountSeedPath(dir, account)
    const name = `the ${account} account`
    checks.push({
      kind: 'account seed',
      name,
      path,
      read: () => void readSeedFile(path, 'account', name),
    })
  }
  for (const { id } of topology.identities) {
    const path = seedPath(dir, id)
    checks.push({
      kind: 'identity seed',
      name: id,
      path,
      read: () => void readSeedFile(path, 'user', id),
    })
  }
  for (const bus of topology.buses) {
    for (const { identity } of bus.grants) {
      checks.push({
        kind: 'bus credentials',
        name: `${identity} on ${bus.name}`,
        path: credsPath(dir, bus.name, identity),
        read: () => credsExpiry(dir, identity, bus.name),
        lifetimeSeconds: ttlSeconds,
      })
    }
  }
  const clustered = new Set(natsServersOf(topology).flatMap((s) => (s.cluster ? [s.group] : [])))
  for (const server of clustered) {
    checks.push({
      kind: 'route secret',
      name: `the ${server} cluster`,
      path: routeSecretPath(dir, server),
      read: () => void readRouteSecret(dir, server),
    })
  }
  for (const service of JWK_SERVICES) {
    for (const which of ['current', 'previous'] as const) {
      const path = jwkPath(dir, service, which)
      // A previous key exists only after a rotation: its absence is no gap.
      if (which === 'previous' && !existsSync(path)) continue
      checks.push({
        kind: 'signing key',
        name: which === 'current' ? service : `${service} (previous)`,
        path,
        // The token services' own reader: curve, key pair, kid.
        read: async () =>
          void (await loadSigningKeys(
            `key file ${path}`,
            signingKeysSecret(readJwkKey(dir, service, which)),
          )),
      })
    }
  }
  checks.push({
    kind: 'audit key',
    name: 'checkpoint signing key',
    path: auditKeyPaths(dir).privateKey,
    read: () => void readAuditSigningKey(dir),
  })
  return checks
}

/** Every key the topology needs in `dir`, in a fixed order; `now` in milliseconds. */
export async function keyInventory(
  dir: string,
  topology: Topology,
  ttlSeconds: number,
  now: number = Date.now(),
): Promise<KeyItem[]> {
  const items: KeyItem[] = []
  for (const check of checksOf(dir, topology, ttlSeconds)) {
    const base = { kind: check.kind, name: check.name, path: check.path }
    if (!existsSync(check.path)) {
      items.push({ ...base, state: 'missing' })
      continue
    }
    let exp: number | undefined
    try {
      exp = await check.read()
    } catch (e) {
      items.push({ ...base, state: 'invalid', problem: (e as Error).message })
      continue
    }
    if (exp === undefined) {
      items.push({ ...base, state: 'ok' })
      continue
    }
    const expiresAt = new Date(exp * 1000).toISOString()
    const left = exp - now / 1000
    if (left <= 0) {
      items.push({ ...base, state: 'expired', expiresAt, problem: `expired ${expiresAt}` })
    } else if (
      check.lifetimeSeconds !== undefined &&
      left < check.lifetimeSeconds * RENEW_WHEN_LEFT
    ) {
      items.push({ ...base, state: 'due', expiresAt, problem: `renewal due, expires ${expiresAt}` })
    } else {
      items.push({ ...base, state: 'ok', expiresAt })
    }
  }
  return items
}
