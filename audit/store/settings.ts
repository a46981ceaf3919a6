/**
 * Where the audit trail is, from the config and the environment: the one place that decides
 * which database URL wins. `PORTCULLIS_AUDIT_DATABASE_URL` overrides `audit.databaseUrl`; a
 * password belongs in that variable or in a `.pgpass` file, never in the committed config.
 */
import type { AuditConfig } from '../../config/index.js'
import { AUDIT_DATABASE_URL_ENV } from './constants.js'
import { AuditStoreError } from './errors.js'

/** Refuses anything but a `postgres://` or `postgresql://` URL, without echoing it. */
export function checkDatabaseUrl(url: string, source = 'the audit database URL'): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new AuditStoreError('AUDIT_DATABASE_URL_INVALID', `${source} is not a URL`)
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new AuditStoreError(
      'AUDIT_DATABASE_URL_INVALID',
      `${source} must start with postgres:// or postgresql://`,
    )
  }
  return parsed
}

/** The URL fit for a log line: its password, if any, replaced. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***')
    return parsed.toString()
  } catch {
    return '(unparsable URL)'
  }
}

/**
 * The database URL to use, or undefined for the embedded store: the env var when set and
 * not empty, else `audit.databaseUrl`. A password in the config file is refused.
 */
export function resolveAuditDatabaseUrl(
  config: { audit: Pick<AuditConfig, 'databaseUrl'> },
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const fromEnv = env[AUDIT_DATABASE_URL_ENV]
  if (fromEnv) {
    checkDatabaseUrl(fromEnv, AUDIT_DATABASE_URL_ENV)
    return fromEnv
  }
  const fromConfig = config.audit.databaseUrl
  if (!fromConfig) return undefined
  const parsed = checkDatabaseUrl(fromConfig, 'audit.databaseUrl')
  if (parsed.password || parsed.searchParams.has('password')) {
    throw new AuditStoreError(
      'AUDIT_DATABASE_URL_HAS_PASSWORD',
      `audit.databaseUrl holds a password, and the config file is committed: set ${AUDIT_DATABASE_URL_ENV} instead, or keep the password in a .pgpass file`,
    )
  }
  return fromConfig
}

/** The parts of `openAuditStore`'s options that come from the config. */
export function auditStoreSettingsOf(
  config: { audit: AuditConfig; paths: { data: string } },
  env: NodeJS.ProcessEnv = process.env,
): { databaseUrl?: string; dataDir: string; checkpoint: AuditConfig['checkpoint'] } {
  const databaseUrl = resolveAuditDatabaseUrl(config, env)
  return {
    ...(databaseUrl && { databaseUrl }),
    dataDir: config.paths.data,
    checkpoint: { ...config.audit.checkpoint },
  }
}
