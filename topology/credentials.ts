/**
 * Operator-mode credentials for the buses (NATS decentralized auth). One operator signs a
 * system account and one account per bus; each bus's account signs one user JWT per
 * identity that has a grant on that bus, carrying the grant's allow-lists, the one connection
 * type the identity may use and an expiry. A component connects with
 * `<dir>/creds/<bus>/<identity>.creds` (that JWT and the identity's seed); a server is given
 * only the operator JWT and account JWTs, all public.
 *
 * Everything is idempotent: keys are created once and reused; JWTs are re-issued only when
 * what they say changes (grants, revocations, lifetime) or a user JWT nears its expiry.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  decode,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type Account,
  type ClaimsData,
  type KeyPair,
  type Operator,
  type OperatorLimits,
  type User,
} from '@nats-io/jwt'
import { fromSeed } from '@nats-io/nkeys'
import { parseUserCreds, type BusName } from '../core/index.js'
import type { Grant, ServerSpec, Topology } from './describe.js'
import { ensureRouteSecrets } from './routes.js'
import {
  accountSeedPath,
  ensureKeys,
  ensureSeedFile,
  fileName,
  operatorSeedPath,
  readPrivateFile,
  readSeed,
  readSeedFile,
  replaceSeed,
  writePrivateFile,
} from './keys.js'

/** The system account nats-server needs for JetStream in operator mode; it has no users. */
export const SYSTEM_ACCOUNT = 'SYS'
const OPERATOR_NAME = 'portcullis'
/** No user JWT lives longer (the cap on `bus.credentialsTtlSeconds`): older revocations can go. */
export const MAX_CREDENTIALS_TTL_SECONDS = 366 * 86_400
/** A user JWT is renewed once less than this share of its lifetime is left. */
const RENEW_WHEN_LEFT = 1 / 3
/** Clock drift tolerated between the lifetime asked for and the one a JWT carries. */
const LIFETIME_SLACK_SECONDS = 2

/** Subjects in grants: NATS tokens plus wildcards, nothing a JWT consumer could misread. */
const SUBJECT = /^[A-Za-z0-9_$-]+(?:\.(?:[A-Za-z0-9_$-]+|\*|>))*$|^>$/

export interface AccountTrust {
  name: string
  publicKey: string
  jwt: string
}

/** The public material the servers trust: the operator and the accounts it signed. */
export interface BusTrust {
  operatorJwt: string
  system: AccountTrust
  accounts: Partial<Record<BusName, AccountTrust>>
}

/** What one server is given: the operator, the system account and its own buses' accounts. */
export interface ServerTrust {
  operatorJwt: string
  system: AccountTrust
  accounts: AccountTrust[]
}

export type IssueReason =
  | 'new'
  | 'unreadable'
  | 'key changed'
  | 'account changed'
  | 'grant changed'
  | 'lifetime changed'
  | 'revoked'
  | 'renewal due'

export interface CredsStatus {
  server: BusName
  identity: string
  path: string
  publicKey: string
  /** Unix seconds. */
  expiresAt: number
  /** Set when this run wrote the file, with why. */
  issued?: IssueReason
}

export interface Revocation {
  server: BusName
  identity: string
  publicKey: string
}

export interface CredentialsResult {
  trust: BusTrust
  creds: CredsStatus[]
  /** Buses whose account JWT (or the system account's) changed: their servers need it. */
  changedAccounts: BusName[]
  systemAccountChanged: boolean
  /** User keys revoked by this run. */
  revoked: Revocation[]
}

export interface CredentialsOptions {
  /** Lifetime of a user JWT (`bus.credentialsTtlSeconds`). */
  ttlSeconds: number
  /** Clock (ms) for expiries and renewal only; revocations always use the real clock. */
  now?: () => number
}

export function credsPath(dir: string, server: BusName, identity: string): string {
  return join(dir, 'creds', fileName('bus', server), `${fileName('identity', identity)}.creds`)
}

function operatorJwtPath(dir: string): string {
  return join(dir, 'operator', 'operator.jwt')
}

function accountJwtPath(dir: string, account: string): string {
  return accountSeedPath(dir, account).replace(/\.nk$/, '.jwt')
}

/** Reads an identity's credentials for one bus; refuses a file others can read. */
export function readCreds(dir: string, identity: string, server: BusName): Uint8Array {
  const path = credsPath(dir, server, identity)
  const bytes = readPrivateFile(path, 'credentials', `${identity} on ${server}`)
  if (!parseUserCreds(bytes.toString('utf8'))) {
    throw new Error(`credentials ${path} are not a NATS creds file (run \`portcullis keys\`)`)
  }
  return new Uint8Array(bytes)
}

function claimsOf<T>(jwt: string | undefined): ClaimsData<T> | undefined {
  if (!jwt) return undefined
  try {
    return decode<T>(jwt)
  } catch {
    return undefined
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}

/** JSON with object keys sorted, so two claims compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

function allowList(server: ServerSpec, grant: Grant, kind: 'publish' | 'subscribe'): string[] {
  const subjects = grant[kind]
  // nats-server reads an empty allow-list as "no restriction": refuse to issue one.
  if (subjects.length === 0) {
    throw new Error(`grant of ${grant.identity} on ${server.name} has an empty ${kind} list`)
  }
  for (const s of subjects) {
    if (!SUBJECT.test(s))
      throw new Error(
        `grant of ${grant.identity} on ${server.name}: bad subject ${JSON.stringify(s)}`,
      )
  }
  return [...subjects]
}

/**
 * The permissions a grant becomes in a user JWT: its allow-lists (never a deny list) and the
 * one connection type it may use. The link's WebSocket listener thereby admits only the edge
 * identity, and a leaked edge credential cannot be used over plain TCP.
 */
export function userClaimsOf(server: ServerSpec, grant: Grant): Partial<User> {
  if (grant.websocketOnly && server.websocketPort === undefined) {
    throw new Error(
      `${grant.identity} is WebSocket-only but ${server.name} has no WebSocket listener`,
    )
  }
  return {
    pub: { allow: allowList(server, grant, 'publish') },
    sub: { allow: allowList(server, grant, 'subscribe') },
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

async function ensureOperator(dir: string, op: KeyPair, system: string): Promise<string> {
  const path = operatorJwtPath(dir)
  const have = readText(path)
  const claims = claimsOf<Operator>(have)
  const pub = op.getPublicKey()
  if (
    have &&
    claims?.sub === pub &&
    claims.iss === pub &&
    claims.nats.type === 'operator' &&
    claims.nats.system_account === system &&
    claims.exp === undefined
  )
    return have
  const jwt = await encodeOperator(OPERATOR_NAME, op, { system_account: system })
  writePrivateFile(path, `${jwt}\n`)
  return jwt
}

interface StoredAccount {
  jwt?: string
  claims?: ClaimsData<Account>
}

function storedAccount(dir: string, name: string): StoredAccount {
  const jwt = readText(accountJwtPath(dir, name))
  const claims = claimsOf<Account>(jwt)
  return { ...(jwt ? { jwt } : {}), ...(claims ? { claims } : {}) }
}

/** The stored account JWT's revocations, when it is this account's. */
function revocationsOf(stored: StoredAccount, account: KeyPair): Record<string, number> {
  if (stored.claims?.sub !== account.getPublicKey()) return {}
  return { ...(stored.claims.nats.revocations ?? {}) }
}

/** Writes the account JWT when what it says changed; true when it did. */
async function ensureAccount(
  dir: string,
  name: string,
  account: KeyPair,
  op: KeyPair,
  jetstream: boolean,
  revocations: Record<string, number>,
  stored: StoredAccount = storedAccount(dir, name),
): Promise<{ trust: AccountTrust; changed: boolean }> {
  const path = accountJwtPath(dir, name)
  const want: Partial<Account> = {
    limits: accountLimits(jetstream),
    ...(Object.keys(revocations).length > 0 ? { revocations } : {}),
  }
  const { jwt: have, claims } = stored
  const publicKey = account.getPublicKey()
  if (
    have &&
    claims?.sub === publicKey &&
    claims.iss === op.getPublicKey() &&
    claims.name === name &&
    claims.nats.type === 'account' &&
    canonical({ limits: claims.nats.limits, revocations: claims.nats.revocations }) ===
      canonical(want)
  ) {
    return { trust: { name, publicKey, jwt: have }, changed: false }
  }
  const jwt = await encodeAccount(name, account, want, { signer: op })
  writePrivateFile(path, `${jwt}\n`)
  return { trust: { name, publicKey, jwt }, changed: true }
}

interface StoredCreds {
  jwt: string
  seed: string
  claims: ClaimsData<User>
}

function storedCreds(path: string): StoredCreds | 'unreadable' | undefined {
  const text = readText(path)
  if (text === undefined) return undefined
  const parsed = parseUserCreds(text)
  const claims = claimsOf<User>(parsed?.jwt)
  return parsed && claims?.nats.type === 'user' ? { ...parsed, claims } : 'unreadable'
}

/** Why a user's stored credentials must be re-issued, or undefined when they still hold. */
function reissueReason(
  have: StoredCreds | 'unreadable' | undefined,
  user: { publicKey: string; seed: string },
  account: string,
  want: Partial<User>,
  revocations: Record<string, number>,
  opts: { ttlSeconds: number; nowSeconds: number },
): IssueReason | undefined {
  if (have === undefined) return 'new'
  if (have === 'unreadable') return 'unreadable'
  const { claims } = have
  if (claims.sub !== user.publicKey || have.seed !== user.seed) return 'key changed'
  if (claims.iss !== account) return 'account changed'
  const { type: _t, version: _v, ...nats } = claims.nats
  if (canonical(nats) !== canonical(want)) return 'grant changed'
  const revokedAt = revocations[claims.sub]
  if (revokedAt !== undefined && claims.iat <= revokedAt) return 'revoked'
  const exp = claims.exp ?? Infinity
  if (Math.abs(exp - claims.iat - opts.ttlSeconds) > LIFETIME_SLACK_SECONDS)
    return 'lifetime changed'
  if (exp - opts.nowSeconds < opts.ttlSeconds * RENEW_WHEN_LEFT) return 'renewal due'
  return undefined
}

const realSeconds = () => Math.floor(Date.now() / 1000)

/**
 * A revocation at T voids every JWT of that key issued at or before T (whole seconds), so a
 * JWT issued for the same key afterwards must carry a later `iat`.
 */
async function pastSecond(t: number | undefined): Promise<void> {
  if (t === undefined) return
  while (realSeconds() <= t) {
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5))
  }
}

function prune(revocations: Record<string, number>): Record<string, number> {
  const oldest = realSeconds() - MAX_CREDENTIALS_TTL_SECONDS
  return Object.fromEntries(Object.entries(revocations).filter(([, t]) => t >= oldest))
}

function checkGrants(server: ServerSpec): void {
  const seen = new Set<string>()
  for (const g of server.grants) {
    if (seen.has(g.identity))
      throw new Error(`identity ${g.identity} granted twice on ${server.name}`)
    seen.add(g.identity)
  }
}

/**
 * Creates what is missing and re-issues what no longer fits, for every bus of the topology:
 * the operator, the system account, each bus's account (JetStream on where the bus has it,
 * revocations kept) and each identity's user JWT on each bus it has a grant on. A user key
 * that a stored JWT names but the identity no longer has, or a grant that was narrowed or
 * removed, is revoked in the account, so the old JWT stops working once the servers have the
 * new account JWT (`applyAccountChanges`). `revoke` adds keys to revoke on every bus where the
 * identity has a grant.
 */
export async function ensureCredentials(
  dir: string,
  topology: Topology,
  opts: CredentialsOptions,
  revoke: Array<{ identity: string; publicKey: string }> = [],
): Promise<CredentialsResult> {
  if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1) {
    throw new Error(`credentials lifetime must be a positive whole number of seconds`)
  }
  const nowSeconds = () => Math.floor((opts.now ?? Date.now)() / 1000)
  const users = ensureKeys(
    dir,
    topology.identities.map((i) => i.id),
  )
  // A three-node bus's routes authenticate with a secret of their own (routes.ts).
  ensureRouteSecrets(dir, topology)
  const op = ensureSeedFile(operatorSeedPath(dir), 'operator', 'the operator')
  const sys = ensureSeedFile(accountSeedPath(dir, SYSTEM_ACCOUNT), 'account', 'the system account')
  const operatorJwt = await ensureOperator(dir, op, sys.getPublicKey())
  const system = await ensureAccount(dir, SYSTEM_ACCOUNT, sys, op, false, {})

  const result: CredentialsResult = {
    trust: { operatorJwt, system: system.trust, accounts: {} },
    creds: [],
    changedAccounts: system.changed ? topology.servers.map((s) => s.name) : [],
    systemAccountChanged: system.changed,
    revoked: [],
  }

  for (const server of topology.servers) {
    checkGrants(server)
    const account = ensureSeedFile(
      accountSeedPath(dir, server.name),
      'account',
      `the ${server.name} account`,
    )
    const stored = storedAccount(dir, server.name)
    const revocations = revocationsOf(stored, account)
    const revokeKey = (identity: string, publicKey: string, at: number) => {
      if ((revocations[publicKey] ?? -1) >= at) return
      revocations[publicKey] = at
      result.revoked.push({ server: server.name, identity, publicKey })
    }

    const plan: Array<{
      grant: Grant
      want: Partial<User>
      path: string
      have: ReturnType<typeof storedCreds>
      reason?: IssueReason
    }> = []
    for (const grant of server.grants) {
      const want = userClaimsOf(server, grant)
      const path = credsPath(dir, server.name, grant.identity)
      const user = users[grant.identity]
      if (!user) throw new Error(`grant of ${grant.identity} on ${server.name}: no such identity`)
      const have = storedCreds(path)
      const reason = reissueReason(
        have,
        { publicKey: user.publicKey, seed: new TextDecoder().decode(user.seed) },
        account.getPublicKey(),
        want,
        revocations,
        { ttlSeconds: opts.ttlSeconds, nowSeconds: nowSeconds() },
      )
      if (typeof have === 'object' && have.claims.iss === account.getPublicKey()) {
        // A superseded key is revoked outright; a changed grant revokes the JWTs issued so far.
        if (reason === 'key changed') revokeKey(grant.identity, have.claims.sub, realSeconds())
        if (reason === 'grant changed') revokeKey(grant.identity, have.claims.sub, have.claims.iat)
      }
      plan.push({ grant, want, path, have, ...(reason ? { reason } : {}) })
    }
    for (const { identity, publicKey } of revoke) {
      if (server.grants.some((g) => g.identity === identity))
        revokeKey(identity, publicKey, realSeconds())
    }
    // Credentials left from an identity that has no grant here any more.
    const folder = join(dir, 'creds', server.name)
    let files: string[] = []
    try {
      files = readdirSync(folder).filter((f) => f.endsWith('.creds'))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    for (const file of files) {
      const identity = file.slice(0, -'.creds'.length)
      if (server.grants.some((g) => g.identity === identity)) continue
      const have = storedCreds(join(folder, file))
      if (typeof have === 'object' && have.claims.iss === account.getPublicKey())
        revokeKey(identity, have.claims.sub, realSeconds())
      rmSync(join(folder, file), { force: true })
    }

    const accountJwt = await ensureAccount(
      dir,
      server.name,
      account,
      op,
      server.jetstream,
      prune(revocations),
      stored,
    )
    result.trust.accounts[server.name] = accountJwt.trust
    if (accountJwt.changed && !result.changedAccounts.includes(server.name))
      result.changedAccounts.push(server.name)

    for (const { grant, want, path, have, reason } of plan) {
      const user = users[grant.identity]!
      let expiresAt: number
      if (reason) {
        await pastSecond(revocations[user.publicKey])
        expiresAt = nowSeconds() + opts.ttlSeconds
        const kp = fromSeed(user.seed)
        const jwt = await encodeUser(grant.identity, kp, account, want, { exp: expiresAt })
        writePrivateFile(path, fmtCreds(jwt, kp))
      } else {
        expiresAt = (have as StoredCreds).claims.exp ?? Infinity
      }
      result.creds.push({
        server: server.name,
        identity: grant.identity,
        path,
        publicKey: user.publicKey,
        expiresAt,
        ...(reason ? { issued: reason } : {}),
      })
    }
  }
  return result
}

export interface Rotation {
  identity: string
  previousKey?: string
  publicKey: string
  /** The buses the identity has grants on: their servers need a reload. */
  servers: BusName[]
  result: CredentialsResult
}

/**
 * Gives one identity a new user key and new credentials on every bus it uses, and revokes
 * its old key in those buses' accounts. The servers enforce the revocation once they load
 * the new account JWTs (a reload, not a restart); other identities are untouched.
 */
export async function rotateIdentity(
  dir: string,
  topology: Topology,
  identity: string,
  opts: CredentialsOptions,
): Promise<Rotation> {
  if (!topology.identities.some((i) => i.id === identity)) {
    throw new Error(`no identity ${JSON.stringify(identity)} in the ${topology.mode} topology`)
  }
  let previousKey: string | undefined
  try {
    previousKey = fromSeed(readSeed(dir, identity)).getPublicKey()
  } catch {
    // No readable key yet: the stored credentials, if any, still name the old one.
  }
  const publicKey = replaceSeed(dir, identity)
  const result = await ensureCredentials(
    dir,
    topology,
    opts,
    previousKey ? [{ identity, publicKey: previousKey }] : [],
  )
  const servers = topology.servers
    .filter((s) => s.grants.some((g) => g.identity === identity))
    .map((s) => s.name)
  return { identity, ...(previousKey ? { previousKey } : {}), publicKey, servers, result }
}

/**
 * Issues (without storing) credentials for one identity on one bus with the keys in `dir`,
 * e.g. short-lived ones. `ensureCredentials` must have run.
 */
export async function issueCreds(
  dir: string,
  topology: Topology,
  server: BusName,
  identity: string,
  opts: CredentialsOptions,
): Promise<Uint8Array> {
  const spec = topology.servers.find((s) => s.name === server)
  const grant = spec?.grants.find((g) => g.identity === identity)
  if (!spec || !grant) throw new Error(`identity ${identity} has no grant on the ${server} bus`)
  const account = fromSeed(
    readSeedFile(accountSeedPath(dir, server), 'account', `the ${server} account`),
  )
  const kp = fromSeed(readSeed(dir, identity))
  const exp = Math.floor((opts.now ?? Date.now)() / 1000) + opts.ttlSeconds
  const jwt = await encodeUser(identity, kp, account, userClaimsOf(spec, grant), { exp })
  return fmtCreds(jwt, kp)
}

/**
 * The public material `ensureCredentials` left in `dir` for the topology's servers, read
 * without generating anything (for a host that runs servers from a key folder made elsewhere).
 */
/** Reads the public trust material of the given buses, as `portcullis keys` left it. */
export function readTrust(dir: string, topology: Pick<Topology, 'servers'>): BusTrust {
  const read = (path: string, what: string): string => {
    const text = readText(path)
    if (!text) throw new Error(`no ${what} at ${path} (run \`portcullis keys\`)`)
    return text
  }
  const account = (name: string): AccountTrust => {
    const path = accountJwtPath(dir, name)
    const jwt = read(path, `${name} account JWT`)
    const claims = claimsOf<Account>(jwt)
    if (!claims) throw new Error(`${path} is not a valid signed JWT`)
    return { name, publicKey: claims.sub, jwt }
  }
  return {
    operatorJwt: read(operatorJwtPath(dir), 'operator JWT'),
    system: account(SYSTEM_ACCOUNT),
    accounts: Object.fromEntries(topology.servers.map((s) => [s.name, account(s.name)])),
  }
}

/** The public material one server is configured with: the accounts of the buses it carries. */
export function serverTrust(trust: BusTrust, buses: readonly BusName[]): ServerTrust {
  const accounts = buses.map((bus) => {
    const account = trust.accounts[bus]
    if (!account) throw new Error(`no account for the ${bus} bus (run \`portcullis keys\`)`)
    return account
  })
  return { operatorJwt: trust.operatorJwt, system: trust.system, accounts }
}
