/**
 * `portcullis token --sub alice [--roles orders,admin] [--ttl 1h] [--config file]`: a dev
 * bearer token signed with the local bearer key (`<keys>/jwk/bearer.jwk`), the same shape the
 * bearer service mints. The token alone goes to stdout, so `TOKEN=$(portcullis token ...)`
 * works; what it is goes to stderr.
 */
import { loadConfig } from '../../config/index.js'
import {
  BEARER,
  epochSeconds,
  loadSigningKeys,
  mintBearerToken,
  tokenServiceErrorCode,
  type MintResult,
} from '../../token-services/shared/index.js'
import { configFile, flag } from '../args.js'
import { jwkPath, signingKeysSecretOf } from '../jwk-keys.js'
import { describeSetupError, failureReason, SetupError } from '../../core/index.js'

const USAGE = 'usage: portcullis token --sub <subject> [--roles a,b] [--ttl 1h] [--config file]\n'
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** `90`, `90s`, `15m`, `1h`, `30d` -> seconds; undefined when it is none of those. */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text)
  return m ? Number(m[1]) * UNITS[m[2] || 's']! : undefined
}

export interface DevTokenOptions {
  keysDir: string
  sub: string
  roles?: string[]
  ttlSeconds?: number
  /** Milliseconds since the epoch; default now. */
  now?: number
}

/** Mints a bearer token with the local bearer key, as the bearer service would. */
export async function mintDevToken(opts: DevTokenOptions): Promise<MintResult> {
  const keys = await loadSigningKeys(
    `key file ${jwkPath(opts.keysDir, 'bearer')}`,
    signingKeysSecretOf(opts.keysDir, 'bearer'),
  )
  return mintBearerToken(
    keys,
    {
      sub: opts.sub,
      ...(opts.roles && { roles: opts.roles }),
      ...(opts.ttlSeconds !== undefined && { ttlSeconds: opts.ttlSeconds }),
    },
    epochSeconds(opts.now ?? Date.now()),
  )
}

interface Io {
  out: { write(text: string): unknown }
  err: { write(text: string): unknown }
}

function value(args: string[], name: string): string | undefined {
  const v = flag(args, name)
  return v === undefined || v.startsWith('--') ? undefined : v
}

export async function token(
  args: string[],
  io: Io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const sub = value(args, 'sub')
  const rolesText = value(args, 'roles')
  const ttlText = value(args, 'ttl')
  const ttlSeconds = ttlText === undefined ? undefined : parseTtl(ttlText)
  if (!sub || (args.includes('--roles') && rolesText === undefined)) {
    io.err.write(USAGE)
    return 2
  }
  if (ttlText !== undefined && !ttlSeconds) {
    io.err.write(`portcullis token: --ttl must look like 90, 90s, 15m, 1h or 30d\n${USAGE}`)
    return 2
  }
  const roles = rolesText
    ?.split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '')
  const config = loadConfig(configFile(args))
  let minted: MintResult
  try {
    minted = await mintDevToken({
      keysDir: config.paths.keys,
      sub,
      ...(roles && { roles }),
      ttlSeconds: ttlSeconds ?? config.tokens.bearerTtlSeconds,
    })
  } catch (e) {
    const why = e instanceof SetupError ? describeSetupError(e) : failureReason(e)
    io.err.write(`portcullis token: ${why}\n`)
    return tokenServiceErrorCode(e) === 'MINT_REQUEST_INVALID' ? 2 : 1
  }
  if (ttlSeconds && ttlSeconds > BEARER.maxTtlSeconds) {
    io.err.write(`--ttl is capped at ${BEARER.maxTtlSeconds / 86_400} days\n`)
  }
  io.out.write(`${minted.token}\n`)
  io.err.write(
    `bearer token for ${sub}${roles?.length ? ` (roles ${roles.join(', ')})` : ''}, ` +
      `kid ${minted.kid}, expires ${new Date(minted.expiresAt * 1000).toISOString()}\n`,
  )
  return 0
}
