import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config/index.js'
import { AuditStoreError } from './errors.js'
import {
  auditStoreSettingsOf,
  checkDatabaseUrl,
  redactDatabaseUrl,
  resolveAuditDatabaseUrl,
} from './settings.js'

const repoConfig = new URL('../../portcullis.config.json', import.meta.url).pathname
const ENV = 'PORTCULLIS_AUDIT_DATABASE_URL'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    if (e instanceof AuditStoreError) return e.code
    throw e
  }
  return undefined
}

describe('audit settings', () => {
  it('fills the audit section with its defaults', () => {
    const c = loadConfig(repoConfig)
    expect(c.audit).toEqual({
      batchSize: 500,
      batchMaxWaitMs: 200,
      checkpoint: { everyEvents: 1000, everySeconds: 60 },
      mirrorQueue: 10_000,
    })
    const withMirrors = loadConfig(repoConfig, {
      audit: {
        syslog: { host: '127.0.0.1', port: 514, transport: 'udp' },
        otlp: { url: 'http://127.0.0.1:4318/v1/logs' },
      },
    })
    expect(withMirrors.audit.syslog).toEqual({
      host: '127.0.0.1',
      port: 514,
      transport: 'udp',
      appName: 'portcullis',
    })
    expect(withMirrors.audit.otlp).toEqual({
      url: 'http://127.0.0.1:4318/v1/logs',
      timeoutMs: 5000,
    })
  })

  it.each([
    [{ databaseUrl: 'mysql://db/audit' }, 'audit.databaseUrl'],
    [{ batchSize: 0 }, 'audit.batchSize'],
    [{ checkpoint: { everyEvents: 0 } }, 'audit.checkpoint.everyEvents'],
    [{ syslog: { host: 'h', port: 514 } }, 'audit.syslog'],
    [{ syslog: { host: 'h', port: 514, transport: 'tls' } }, 'audit.syslog.transport'],
    [{ otlp: { url: 'ftp://x' } }, 'audit.otlp.url'],
    [{ colour: 'red' }, 'audit'],
  ])('refuses audit %j, naming %s', (audit, key) => {
    expect(() => loadConfig(repoConfig, { audit })).toThrow(
      expect.objectContaining({ key }) as Error,
    )
  })

  it('takes the database URL from the env var before the config, else embedded', () => {
    const config = { audit: { databaseUrl: 'postgresql://sink@db.internal/audit' } }
    expect(resolveAuditDatabaseUrl(config, {})).toBe('postgresql://sink@db.internal/audit')
    expect(resolveAuditDatabaseUrl(config, { [ENV]: 'postgres://a:pw@other/x' })).toBe(
      'postgres://a:pw@other/x',
    )
    expect(resolveAuditDatabaseUrl(config, { [ENV]: '' })).toBe(
      'postgresql://sink@db.internal/audit',
    )
    expect(resolveAuditDatabaseUrl({ audit: {} }, {})).toBeUndefined()
    const settings = auditStoreSettingsOf({ ...loadConfig(repoConfig), paths: { data: '/d' } }, {})
    expect(settings).toEqual({ dataDir: '/d', checkpoint: { everyEvents: 1000, everySeconds: 60 } })
  })

  it('AUD-018 a database password in the committed config is refused, not used', () => {
    for (const url of [
      'postgresql://sink:hunter2@db/audit',
      'postgres://db/audit?password=hunter2',
    ]) {
      let message = ''
      try {
        resolveAuditDatabaseUrl({ audit: { databaseUrl: url } }, {})
      } catch (e) {
        message = (e as Error).message
        expect((e as AuditStoreError).code).toBe('AUDIT_DATABASE_URL_HAS_PASSWORD')
      }
      expect(message).toContain(ENV)
      expect(message).not.toContain('hunter2')
    }
  })

  it('refuses a URL that is not PostgreSQL without echoing it, and redacts passwords', () => {
    expect(codeOf(() => checkDatabaseUrl('http://u:hunter2@x/'))).toBe('AUDIT_DATABASE_URL_INVALID')
    expect(codeOf(() => resolveAuditDatabaseUrl({ audit: {} }, { [ENV]: 'not a url' }))).toBe(
      'AUDIT_DATABASE_URL_INVALID',
    )
    expect(redactDatabaseUrl('postgresql://sink:hunter2@db:5432/audit')).toBe(
      'postgresql://sink:***@db:5432/audit',
    )
    expect(redactDatabaseUrl('postgres://db/audit?password=hunter2')).not.toContain('hunter2')
  })
})
