/**
 * The token services' signing keys for local runs: one Ed25519 private JWK per key in
 * `<keys>/jwk/`, named after its service (`bearer.jwk`, `access.jwk`), mode 0600. A
 * `<service>.previous.jwk`, when present, is the key before a rotation: still published,
 * no longer used to sign.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SetupError } from '../core/index.js'
import {
  ACCESS,
  BEARER,
  generateSigningJwk,
  signingKeysSecret,
  type PrivateSigningJwk,
} from '../token-services/shared/index.js'

export const JWK_SERVICES = ['bearer', 'access'] as const
export type JwkService = (typeof JWK_SERVICES)[number]

export interface JwkKeyFile {
  service: JwkService
  path: string
  kid: string
  /** False when the file was already there (it is never replaced). */
  created: boolean
}

export function jwkPath(
  dir: string,
  service: JwkService,
  which: 'current' | 'previous' = 'current',
) {
  if (!JWK_SERVICES.includes(service)) {
    throw new Error(`unreachable: unknown token service ${String(service)} (the type allows none)`)
  }
  return join(dir, 'jwk', which === 'current' ? `${service}.jwk` : `${service}.previous.jwk`)
}

/**
 * Creates `<dir>/jwk/<service>.jwk` for every service that has none and reads the ones that
 * exist. An existing key is never replaced: a rotation is a deliberate act (README).
 */
export async function ensureJwkKeys(
  dir: string,
  services: readonly JwkService[] = JWK_SERVICES,
): Promise<JwkKeyFile[]> {
  const folder = join(dir, 'jwk')
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  chmodSync(folder, 0o700)
  const out: JwkKeyFile[] = []
  for (const service of services) {
    const path = jwkPath(dir, service)
    let created = true
    try {
      // `wx` fails when the file exists, so two processes racing here cannot clobber a key.
      writeFileSync(path, JSON.stringify(await generateSigningJwk(), null, 2) + '\n', {
        mode: 0o600,
        flag: 'wx',
      })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      created = false
    }
    out.push({ service, path, kid: readJwkKey(dir, service).kid, created })
  }
  return out
}

function readKeyFile(path: string, service: JwkService): PrivateSigningJwk {
  const mode = statSync(path).mode
  if ((mode & 0o077) !== 0) {
    throw new SetupError(
      'KEY_EXPOSED',
      `signing key ${path} is readable by others (mode ${(mode & 0o777).toString(8)})`,
      { file: path },
    )
  }
  let jwk: unknown
  try {
    jwk = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    // JSON.parse's own message would quote the file, which holds a private key.
    throw new SetupError('KEY_INVALID', `signing key ${path} is not valid JSON`, { file: path })
  }
  const kid = (jwk as { kid?: unknown } | null)?.kid
  if (typeof jwk !== 'object' || jwk === null || typeof kid !== 'string') {
    throw new SetupError(
      'KEY_INVALID',
      `signing key ${path} is not a JWK with a kid (the ${service} service's key)`,
      { file: path },
    )
  }
  // The full check (curve, key pair, kid pattern) is the services' own, when the key is loaded.
  return jwk as PrivateSigningJwk
}

/** Reads a service's current key; refuses a missing file, one others can read, or non-JSON. */
export function readJwkKey(
  dir: string,
  service: JwkService,
  which: 'current' | 'previous' = 'current',
): PrivateSigningJwk {
  const path = jwkPath(dir, service, which)
  try {
    statSync(path)
  } catch (e) {
    throw new SetupError('KEY_MISSING', `no ${service} signing key at ${path}`, {
      key: 'paths.keys',
      file: path,
      cause: e,
    })
  }
  return readKeyFile(path, service)
}

/** The service's `*_SIGNING_KEYS` secret: the current key, and the previous one if kept. */
export function signingKeysSecretOf(dir: string, service: JwkService): string {
  const current = readJwkKey(dir, service)
  let previous: PrivateSigningJwk | undefined
  try {
    statSync(jwkPath(dir, service, 'previous'))
    previous = readJwkKey(dir, service, 'previous')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  return signingKeysSecret(current, previous)
}

/**
 * A `.dev.vars` line for `wrangler dev`: `ACCESS_SIGNING_KEYS='<json>'`. Single quotes keep
 * the JSON's double quotes as they are (JWK values never contain a single quote).
 */
export function devVarsOf(dir: string, service: JwkService): string {
  const binding = service === 'bearer' ? BEARER.keysBinding : ACCESS.keysBinding
  return `${binding}='${signingKeysSecretOf(dir, service)}'\n`
}
