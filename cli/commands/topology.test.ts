import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../config/index.js'
import {
  accessTable,
  accessTableJson,
  describeTopology,
  renderAccessMarkdown,
  renderAccessText,
  type AccessTableJson,
} from '../../topology/index.js'
import { REPO_ROOT } from '../root.js'
import { topology } from './topology.js'

let dir: string
let configPath: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-topology-'))
  configPath = join(dir, 'portcullis.config.json')
  const openapi = resolve(REPO_ROOT, 'demo/openapi.json')
  writeFileSync(
    configPath,
    JSON.stringify({
      edge: { id: 'paris' },
      upstreams: {
        demo: { baseUrl: 'http://127.0.0.1:8790', openapi },
        shop: { baseUrl: 'http://127.0.0.1:8791', openapi },
      },
    }),
  )
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(...args: string[]) {
  let out = ''
  let err = ''
  const code = await topology(args, {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  })
  return { code, out, err }
}

describe('portcullis topology', () => {
  const expected = () => accessTable(describeTopology(loadConfig(configPath)))

  it('prints the plain-text table of the configured topology', async () => {
    const { code, out, err } = await run('--config', configPath)
    expect({ code, err }).toEqual({ code: 0, err: '' })
    expect(out).toBe(renderAccessText(expected()))
    expect(out).toContain('edge-paris')
    expect(out).toContain('backend-shop')
  })

  it('prints JSON with --json and Markdown with --markdown', async () => {
    const json = await run('--json', '--config', configPath)
    expect(json.code).toBe(0)
    const parsed = JSON.parse(json.out) as AccessTableJson
    expect(parsed).toEqual(accessTableJson(expected()))
    // The keys scripts read: `servers` and `server` hold bus keys.
    expect(Object.keys(parsed)).toEqual(['mode', 'servers', 'identities', 'rows'])
    expect(parsed.servers.map((b) => b.name)).toEqual(['link', 'dreq', 'creq', 'dresp', 'cresp'])
    expect(parsed.identities.find((i) => i.id === 'relay')?.servers).toEqual([
      'link',
      'dreq',
      'cresp',
    ])
    expect(parsed.rows.filter((r) => r.identity === 'backend-shop').map((r) => r.server)).toEqual([
      'creq',
      'dresp',
    ])
    const markdown = await run('--config', configPath, '--markdown')
    expect(markdown.out).toBe(renderAccessMarkdown(expected()))
  })

  it('refuses both formats at once and unknown flags with exit code 2', async () => {
    for (const args of [['--json', '--markdown'], ['--yaml']]) {
      const { code, out, err } = await run(...args, '--config', configPath)
      expect(code, args.join(' ')).toBe(2)
      expect(out).toBe('')
      expect(err).toMatch(/^usage: portcullis topology/)
    }
  })

  it('prints the single-nats table: one server carries every bus, each its own account', async () => {
    const other = join(dir, 'single.json')
    writeFileSync(
      other,
      JSON.stringify({
        topology: 'single-nats',
        upstreams: {
          demo: {
            baseUrl: 'http://127.0.0.1:8790',
            openapi: resolve(REPO_ROOT, 'demo/openapi.json'),
          },
        },
      }),
    )
    const { code, out } = await run('--config', other)
    expect(code).toBe(0)
    expect(out).toMatch(/^single-nats topology: 5 buses on 1 nats-server,/)
    for (const bus of ['link', 'dreq', 'creq', 'dresp', 'cresp'])
      expect(out).toContain(`${bus}: nats://127.0.0.1:7420`)
  })
})
