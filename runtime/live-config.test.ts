import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig, type LoadedConfig } from '../config/index.js'
import { createLogger } from './log.js'
import { watchedConfig, type LiveConfig } from './live-config.js'

const REPO = join(import.meta.dirname, '..')

let dir: string
let configFile: string
let docFile: string
let lines: string[]
let live: LiveConfig | undefined

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2))
}

function doc(): { paths: Record<string, Record<string, Record<string, unknown>>> } {
  return JSON.parse(readFileSync(docFile, 'utf8'))
}

function follow(): LiveConfig {
  const log = createLogger('debug', (line) => lines.push(line))
  const load = () => loadConfig(configFile)
  live = watchedConfig(load(), load, log, { signal: false })
  return live
}

/** Waits for a log line matching `pattern` (file events arrive asynchronously). */
async function logged(pattern: RegExp, timeoutMs = 5_000): Promise<string> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const line = lines.find((l) => pattern.test(l))
    if (line) return line
    if (Date.now() > until) throw new Error(`no log line ${pattern} in:\n${lines.join('\n')}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const claimsOf = (c: LoadedConfig, operation: string) =>
  c.routes.demo!.routes.find((r) => r.operation === operation)?.requiredClaims

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-live-'))
  configFile = join(dir, 'portcullis.config.json')
  docFile = join(dir, 'api.json')
  copyFileSync(join(REPO, 'demo/openapi.json'), docFile)
  const base = JSON.parse(readFileSync(join(REPO, 'portcullis.config.json'), 'utf8'))
  base.upstreams.demo.openapi = 'api.json'
  base.paths = { keys: join(dir, 'keys'), data: join(dir, 'data') }
  writeJson(configFile, base)
  lines = []
})

afterEach(() => {
  live?.close()
  live = undefined
  rmSync(dir, { recursive: true, force: true })
})

describe('a config that follows its files', () => {
  it('RELOAD-001 a changed OpenAPI document is compiled and swapped in, with what was derived from it', async () => {
    const config = follow()
    const routes = config.derive((c) => c.routes.demo!.routes.length)
    const before = routes.current()
    const d = doc()
    d.paths['/orders/{id}']!.get!['x-required-claims'] = 'roles.admin'
    d.paths['/extra'] = { get: { responses: { '204': { description: 'none' } } } }
    writeJson(docFile, d)
    await logged(/^info reloaded cause=file-changed version=2/)
    expect(routes.current()).toBe(before + 1)
    const op = config.current().routes.demo!.routes.find((r) => r.template === '/orders/{id}')
    expect(op?.requiredClaims).toBe('roles.admin')
  })

  it('RELOAD-002 a document that does not load keeps the running policy and says why; the fixed file applies', async () => {
    const config = follow()
    const running = config.current()
    const good = readFileSync(docFile, 'utf8')
    writeFileSync(docFile, '{ "openapi": "3.1.0", "paths": ')
    const line = await logged(/^warn reload-refused/)
    expect(line).toContain('upstreams.demo.openapi')
    expect(config.current()).toBe(running)
    writeFileSync(docFile, good.replace('"3.1.0"', '"3.1.1"'))
    await logged(/^info reloaded .*version=2/)
    expect(config.current()).not.toBe(running)
  })

  it('RELOAD-003 a broken extension in the new document (a look-alike key) is refused, the old rules stay', async () => {
    const config = follow()
    const d = doc()
    d.paths['/orders']!.post!['x-required-claimz'] = 'true'
    delete d.paths['/orders']!.post!['x-required-claims']
    writeJson(docFile, d)
    await logged(/^warn reload-refused/)
    expect(
      claimsOf(config.current(), 'createOrder') ?? claimsOf(config.current(), 'POST:/orders'),
    ).toBe('roles.orders || roles.admin')
  })

  it('RELOAD-004 a change only a restart can apply (a bus port) is refused and named', async () => {
    const config = follow()
    const raw = JSON.parse(readFileSync(configFile, 'utf8'))
    raw.bus = { ports: { dreq: 4299 } }
    writeJson(configFile, raw)
    const line = await logged(/^warn reload-refused/)
    expect(line).toContain('bus.ports.dreq')
    expect(config.current().bus.ports.dreq).not.toBe(4299)
  })

  it('RELOAD-005 a reload is all or nothing: when one derived policy fails to build, none is swapped', async () => {
    const config = follow()
    const first = config.derive((c) => c.validation.json.maxDepth)
    config.derive((c) => {
      if (c.validation.json.maxDepth === 7) throw new Error('refused by the second stage')
      return 0
    })
    const before = first.current()
    const raw = JSON.parse(readFileSync(configFile, 'utf8'))
    raw.validation = { json: { maxDepth: 7 } }
    writeJson(configFile, raw)
    const line = await logged(/^warn reload-refused/)
    expect(line).toContain('refused by the second stage')
    expect(first.current()).toBe(before)
  })

  it('follows a file saved by rename (a new inode), and again after that', async () => {
    const config = follow()
    const save = (maxDepth: number) => {
      const raw = JSON.parse(readFileSync(configFile, 'utf8'))
      raw.validation = { json: { maxDepth } }
      writeJson(`${configFile}.tmp`, raw)
      renameSync(`${configFile}.tmp`, configFile)
    }
    save(9)
    await logged(/^info reloaded .*version=2/)
    expect(config.current().validation.json.maxDepth).toBe(9)
    save(11)
    await logged(/^info reloaded .*version=3/)
    expect(config.current().validation.json.maxDepth).toBe(11)
  })

  it('RELOAD-006 follows a Kubernetes ConfigMap update: the file is a symlink into a `..data` folder that is swapped', async () => {
    // The layout the kubelet writes: <dir>/portcullis.config.json -> ..data/portcullis.config.json,
    // ..data -> ..<timestamp>; an update writes a new timestamp folder and renames ..data over.
    const raw = JSON.parse(readFileSync(configFile, 'utf8'))
    const version = (maxDepth: number, name: string) => {
      mkdirSync(join(dir, name))
      raw.validation = { json: { maxDepth } }
      writeJson(join(dir, name, 'portcullis.config.json'), raw)
      copyFileSync(docFile, join(dir, name, 'api.json'))
    }
    version(5, '..2026_01')
    symlinkSync('..2026_01', join(dir, '..data'))
    rmSync(configFile)
    symlinkSync('..data/portcullis.config.json', configFile)
    const config = follow()
    expect(config.current().validation.json.maxDepth).toBe(5)
    version(13, '..2026_02')
    symlinkSync('..2026_02', join(dir, '..data_tmp'))
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
    await logged(/^info reloaded .*version=2/)
    expect(config.current().validation.json.maxDepth).toBe(13)
  })

  it('does not reload for a touch that changes no byte; SIGHUP (forced) does', () => {
    const config = follow()
    expect(config.reload('test')).toEqual({ applied: false, unchanged: true })
    expect(config.reload('SIGHUP', true)).toEqual({ applied: true, version: 2 })
  })
})
