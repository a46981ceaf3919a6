import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../root.js'
import { checkReport } from './check.js'
import { hostNameOf, init, upstreamUrl } from './init.js'

const DEMO = resolve(REPO_ROOT, 'demo/openapi.json')

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-init-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

async function run(...args: string[]) {
  let out = ''
  let err = ''
  const code = await init(args, {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  })
  return { code, out, err }
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

describe('portcullis init', () => {
  it('writes a config for the demo document that check accepts', async () => {
    const out = join(dir, 'gateway', 'portcullis.config.json')
    const r = await run(
      '--openapi',
      DEMO,
      '--upstream',
      'https://api.internal.example/',
      '--out',
      out,
    )
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const config = readJson(out)
    // The host comes from the document's title; the demo upstream is not carried along.
    expect(Object.keys(config.upstreams)).toEqual(['portcullis-demo-orders'])
    const upstream = config.upstreams['portcullis-demo-orders']
    expect(upstream.baseUrl).toBe('https://api.internal.example')
    expect(resolve(dirname(out), upstream.openapi)).toBe(DEMO)
    expect(upstream.openapi.startsWith('/')).toBe(false)
    expect(config).toMatchObject({
      deployment: 'LAB',
      topology: 'isolated',
      paths: { keys: '.portcullis/keys', data: '.portcullis/data' },
    })
    expect(config.demo).toBeUndefined()
    expect(r.out).toContain('9 routes')
    expect(r.out).toContain(`npx portcullis check --config `)
    expect(r.out).toMatch(/npm start -- --config \S*portcullis\.config\.json/)
    // Only the config: the file it loaded from before taking its name is gone.
    expect(readdirSync(dirname(out))).toEqual(['portcullis.config.json'])

    const report = await checkReport(out)
    expect(report.errors).toEqual([])
    expect(report.valid).toBe(true)
    expect(report.hosts.map((h) => h.host)).toEqual(['portcullis-demo-orders'])
    expect(report.warnings.join('\n')).toContain('generated at first start')
  }, 30_000)

  it('takes --host, and refuses a bad or reserved one', async () => {
    const out = join(dir, 'c.json')
    expect(
      (
        await run(
          '--openapi',
          DEMO,
          '--upstream',
          'http://10.0.0.5:8080',
          '--host',
          'shop',
          '--out',
          out,
        )
      ).code,
    ).toBe(0)
    expect(Object.keys(readJson(out).upstreams)).toEqual(['shop'])
    for (const host of ['oauth2', 'Shop', '-shop', 'a/b']) {
      const r = await run(
        '--openapi',
        DEMO,
        '--upstream',
        'http://x.example',
        '--host',
        host,
        '--out',
        join(dir, 'd.json'),
      )
      expect(r.code).toBe(2)
      expect(r.err).toContain('--host')
      expect(existsSync(join(dir, 'd.json'))).toBe(false)
    }
  })

  it.each([
    ['ftp://files.example', 'not http or https'],
    ['https://user:secret@api.example', 'credentials'],
    ['https://api.example/v1?key=1', 'query'],
    ['api.example', 'not a URL'],
    ['http://', 'not a URL'],
  ])('refuses the upstream URL %s with exit 2 and writes nothing', async (url, says) => {
    const out = join(dir, 'c.json')
    const r = await run('--openapi', DEMO, '--upstream', url, '--out', out)
    expect(r.code).toBe(2)
    expect(r.err).toContain(says)
    expect(existsSync(out)).toBe(false)
  })

  it('refuses missing or unknown arguments with exit 2', async () => {
    expect((await run('--upstream', 'http://x.example')).code).toBe(2)
    expect((await run('--openapi', DEMO)).code).toBe(2)
    expect(
      (await run('--openapi', DEMO, '--upstream', 'http://x.example', '--port', '1')).code,
    ).toBe(2)
    expect((await run('--openapi', '--upstream', 'http://x.example')).code).toBe(2)
    const missing = await run('--openapi', join(dir, 'none.yaml'), '--upstream', 'http://x.example')
    expect(missing.code).toBe(2)
    expect(missing.err).toContain('none.yaml')
  })

  it('never replaces an existing file without --force', async () => {
    const out = join(dir, 'portcullis.config.json')
    writeFileSync(out, '{"mine":true}\n')
    const r = await run('--openapi', DEMO, '--upstream', 'http://x.example', '--out', out)
    expect(r.code).toBe(1)
    expect(r.err).toContain('--force')
    expect(readFileSync(out, 'utf8')).toBe('{"mine":true}\n')
    expect(
      (await run('--openapi', DEMO, '--upstream', 'http://x.example', '--out', out, '--force'))
        .code,
    ).toBe(0)
    expect(Object.keys(readJson(out).upstreams)).toEqual(['portcullis-demo-orders'])
  })

  it("fails with the loader's error on a document the gateway would refuse, writing nothing", async () => {
    const doc = join(dir, 'orders-api.json')
    writeFileSync(
      doc,
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 'Orders', version: '1' },
        paths: {
          '/orders': {
            post: { 'x-portcullis-scna': ['sql'], responses: { '200': { description: 'ok' } } },
          },
        },
      }),
    )
    const out = join(dir, 'portcullis.config.json')
    const r = await run('--openapi', doc, '--upstream', 'http://x.example', '--out', out)
    expect(r.code).toBe(1)
    expect(r.err).toContain('config upstreams.orders.openapi')
    expect(r.err).toContain('x-portcullis-scna')
    expect(readdirSync(dir)).toEqual(['orders-api.json'])
  })
})

describe('host names and upstream URLs', () => {
  it('derives a host name from a title or a file name', () => {
    expect(hostNameOf('Portcullis demo orders API')).toBe('portcullis-demo-orders')
    expect(hostNameOf('Pet Store')).toBe('pet-store')
    expect(hostNameOf('petstore-openapi')).toBe('petstore')
    expect(hostNameOf('Café API v2')).toBe('cafe')
    expect(hostNameOf('API')).toBe('api')
    expect(hostNameOf('OAuth2')).toBeUndefined()
    expect(hostNameOf('---')).toBeUndefined()
    expect(
      hostNameOf('a very long title that says far more than any host name should')!.length,
    ).toBeLessThanOrEqual(32)
  })

  it('keeps the base URL as the backend joins paths to it', () => {
    expect(upstreamUrl('https://api.internal.example')).toEqual({
      url: 'https://api.internal.example',
    })
    expect(upstreamUrl('http://127.0.0.1:8080/base/')).toEqual({
      url: 'http://127.0.0.1:8080/base',
    })
  })
})
