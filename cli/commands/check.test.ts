import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureAuditSigningKey } from '../../audit/store/index.js'
import { loadConfig } from '../../config/index.js'
import { describeTopology, ensureCredentials } from '../../topology/index.js'
import { ensureJwkKeys, jwkPath } from '../jwk-keys.js'
import { REPO_ROOT } from '../root.js'
import { check, checkReport, type CheckReport } from './check.js'

const DEMO = resolve(REPO_ROOT, 'demo/openapi.json')

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-check-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let n = 0
/** A config file in a folder of its own (so its own key folder), the demo document as `demo`. */
function configFile(extra: Record<string, unknown> = {}, openapi = DEMO): string {
  const folder = join(dir, `c${++n}`)
  mkdirSync(folder)
  const file = join(folder, 'portcullis.config.json')
  const upstreams = { demo: { baseUrl: 'http://127.0.0.1:8790', openapi } }
  writeFileSync(file, JSON.stringify({ upstreams, ...extra }))
  return file
}

async function run(...args: string[]) {
  let out = ''
  let err = ''
  const code = await check(args, {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  })
  return { code, out, err }
}

function route(report: CheckReport, method: string, path: string) {
  const found = report.hosts[0]!.routes.find((r) => r.method === method && r.path === path)
  if (!found) throw new Error(`no ${method} ${path}`)
  return found
}

describe('portcullis check on the demo', () => {
  let file: string
  let report: CheckReport
  beforeAll(async () => {
    file = configFile()
    report = await checkReport(file)
  }, 30_000)

  it('is valid, keys missing being a warning', () => {
    expect(report.errors).toEqual([])
    expect(report.valid).toBe(true)
    expect(report.keys!.items.length).toBeGreaterThan(0)
    expect(report.keys!.items.every((i) => i.state === 'missing')).toBe(true)
    expect(report.warnings).toHaveLength(1)
    expect(report.warnings[0]).toContain('generated at first start')
  })

  it("reports each route's claims, rate limit, scan, body, JSON limits and response policy", () => {
    expect(report.hosts.map((h) => h.host)).toEqual(['demo'])
    expect(report.hosts[0]!.routes).toHaveLength(9)
    expect(route(report, 'POST', '/orders')).toMatchObject({
      operation: 'createOrder',
      ports: [443, 80],
      closedPorts: [],
      requiredClaims: 'roles.orders || roles.admin',
      rateLimit: null,
      scan: null,
      body: {
        mediaTypes: ['application/json'],
        required: true,
        maxBytes: 1_000_000,
        maxBytesFrom: 'edge.maxBodyBytes',
      },
      json: { maxDepth: 32, overridden: [] },
    })
    expect(route(report, 'GET', '/admin/stats').requiredClaims).toBe('roles.admin')
    expect(route(report, 'GET', '/ping').rateLimit).toEqual({ limit: 5, period: 10, quota: null })
    expect(route(report, 'GET', '/search').scan).toEqual({
      classes: ['sql', 'xss', 'command', 'path', 'template'],
      paranoia: 1,
    })
    expect(route(report, 'POST', '/orders/{id}/notes').json).toEqual({
      maxDepth: 3,
      maxStringLength: 65536,
      maxArrayLength: 10,
      maxObjectKeys: 1000,
      overridden: ['maxDepth', 'maxArrayLength'],
    })
    expect(route(report, 'GET', '/session').undeclaredFields).toBe('drop')
    expect(route(report, 'GET', '/orders')).toMatchObject({
      requiredClaims: null,
      body: null,
      json: null,
      undeclaredFields: 'refuse',
    })
  })

  it('prints one aligned table per host, and the same report as JSON', async () => {
    const text = await run('--config', file)
    expect(text.code).toBe(0)
    expect(text.err).toBe('')
    const lines = text.out.split('\n')
    const header = lines.find((l) => l.trimStart().startsWith('METHOD'))!
    expect(header).toMatch(/METHOD\s+PATH\s+PORTS\s+CLAIMS\s+RATE LIMIT\s+SCAN\s+MAX BODY/)
    expect(text.out).toMatch(
      /POST\s+\/orders\s+443,80\s+roles\.orders \|\| roles\.admin\s+-\s+-\s+1000000/,
    )
    expect(text.out).toMatch(/GET\s+\/ping\s+443,80\s+-\s+5\/10s\s/)
    expect(text.out).toMatch(
      /POST\s+\/orders\/\{id\}\/notes\s.*sql,xss,command,path,template p1\s.*depth 3, array 10/,
    )
    expect(text.out).toMatch(/GET\s+\/session\s.*drop$/m)
    // Aligned: every row's PATH column starts where the header's does.
    const at = header.indexOf('PATH')
    const rows = lines.filter((l) => /^\s+(GET|POST)\s/.test(l))
    expect(rows).toHaveLength(9)
    for (const row of rows) expect(row.slice(at - 1, at + 1)).toBe(' /')
    expect(text.out).toContain('warning: ')

    const json = await run('--json', '--config', file)
    expect(json.code).toBe(0)
    expect(JSON.parse(json.out)).toEqual(JSON.parse(JSON.stringify(report)))
  })

  it('reads route overrides and config defaults through the readers', async () => {
    const r = await checkReport(
      configFile({ edge: { maxBodyBytes: 4096 }, validation: { json: { maxDepth: 8 } } }),
    )
    expect(r.valid).toBe(true)
    expect(route(r, 'POST', '/orders').body!.maxBytes).toBe(4096)
    expect(route(r, 'POST', '/orders').json).toMatchObject({ maxDepth: 8, overridden: [] })
    expect(route(r, 'POST', '/orders/{id}/notes').json).toMatchObject({
      maxDepth: 3,
      overridden: ['maxDepth', 'maxArrayLength'],
    })
  })
})

describe('portcullis check refuses', () => {
  it('a broken config with exit 1, naming the key', async () => {
    const file = configFile({ edge: { deadlineMs: 5 } })
    const r = await run('--config', file)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/^portcullis check: CONFIG_INVALID: config edge\.deadlineMs: .* \(fix /)
    const json = await run('--config', file, '--json')
    expect(json.code).toBe(1)
    expect(JSON.parse(json.out)).toMatchObject({
      valid: false,
      errors: [{ code: 'CONFIG_INVALID', key: 'edge.deadlineMs', action: expect.any(String) }],
      hosts: [],
    })
  })

  it('a document the request validator would refuse at start, which the loader accepts', async () => {
    const doc = join(dir, 'paranoia-alone.json')
    writeFileSync(
      doc,
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 't', version: '1' },
        paths: {
          '/x': {
            get: { 'x-portcullis-paranoia': 2, responses: { '200': { description: 'ok' } } },
          },
        },
      }),
    )
    const file = configFile({}, doc)
    expect(() => loadConfig(file)).not.toThrow()
    const r = await checkReport(file)
    expect(r.valid).toBe(false)
    expect(r.errors[0]).toMatchObject({ code: 'POLICY_INVALID', key: 'upstreams.demo.openapi' })
    expect(r.errors[0]!.message).toContain('x-portcullis-paranoia needs x-portcullis-scan')
  })

  it('a missing Core Rule Set for routes that scan, naming its key', async () => {
    const r = await checkReport(
      configFile({ validation: { scan: { crsDirectory: join(dir, 'no-crs') } } }),
    )
    expect(r.errors.map((e) => e.key)).toEqual(['validation.scan.crsDirectory'])
    expect(r.errors[0]!.code).toBe('RULES_MISSING')
    expect(r.errors[0]!.message).toMatch(/^config validation\.scan\.crsDirectory: \//)
  })

  it('bad arguments with exit 2', async () => {
    expect((await run('--config')).code).toBe(2)
    expect((await run('--verbose')).code).toBe(2)
    expect((await run('extra')).code).toBe(2)
  })
})

describe('portcullis check on the key folder', () => {
  it('passes present keys, and refuses expired credentials and a corrupt signing key', async () => {
    const file = configFile()
    const config = loadConfig(file)
    const ttl = config.bus.credentialsTtlSeconds
    await ensureCredentials(config.paths.keys, describeTopology(config), { ttlSeconds: ttl })
    await ensureJwkKeys(config.paths.keys)
    ensureAuditSigningKey(config.paths.keys)

    const now = Date.now()
    const fresh = await checkReport(file, now)
    expect(fresh.errors).toEqual([])
    expect(fresh.warnings).toEqual([])
    expect(fresh.keys!.items.every((i) => i.state === 'ok')).toBe(true)
    const creds = fresh.keys!.items.filter((i) => i.kind === 'bus credentials')
    expect(creds.length).toBeGreaterThan(0)
    expect(creds.every((c) => c.expiresAt !== undefined)).toBe(true)

    const due = await checkReport(file, now + (ttl * 1000 * 3) / 4)
    expect(due.valid).toBe(true)
    expect(due.warnings.join('\n')).toContain('due for renewal')

    const later = await checkReport(file, now + ttl * 1000 + 60_000)
    expect(later.valid).toBe(false)
    expect(later.errors.length).toBe(creds.length)
    expect(later.errors[0]).toMatchObject({ code: 'KEY_INVALID', key: 'paths.keys' })
    expect(later.errors[0]!.message).toMatch(/^config paths\.keys: bus credentials .* expired/)

    writeFileSync(jwkPath(config.paths.keys, 'access'), '{"kid":"k","kty":"OKP"}', { mode: 0o600 })
    const corrupt = await run('--config', file)
    expect(corrupt.code).toBe(1)
    expect(corrupt.err).toContain('KEY_INVALID: config paths.keys: signing key access')
    expect(corrupt.out).toMatch(/invalid: signing key access/)
  }, 30_000)
})
