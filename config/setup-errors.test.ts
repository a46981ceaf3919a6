/**
 * Every way the config loader and the readers a start runs after it refuse, by stable code
 * (core/errors/setup.ts): what `start-failed`, `portcullis check` and `portcullis up` print.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SetupError } from '../core/index.js'
import { readAccessJwks } from '../validators/lib/request/access-keys.js'
import { loadRuleSet } from '../validators/lib/request/crs/load.js'
import { loadConfig } from './index.js'

const repoConfig = new URL('../portcullis.config.json', import.meta.url).pathname
const demoDoc = new URL('../demo/openapi.json', import.meta.url).pathname

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-setup-errors-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function refusal(fn: () => unknown): SetupError {
  try {
    fn()
  } catch (e) {
    if (e instanceof SetupError) return e
    throw e
  }
  throw new Error('nothing was refused')
}

/** The demo document with `change` applied, written as `name` in a folder of its own. */
function docWith(name: string, change: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(readFileSync(demoDoc, 'utf8')) as Record<string, any>
  change(doc)
  const folder = mkdtempSync(join(dir, 'doc-'))
  const file = join(folder, name)
  writeFileSync(file, JSON.stringify(doc))
  return file
}

const withDoc = (openapi: string) => ({ upstreams: { demo: { openapi } } })

describe('the config file', () => {
  it('a file that cannot be read is CONFIG_UNREADABLE, naming the file', () => {
    const file = join(dir, 'absent.json')
    const e = refusal(() => loadConfig(file))
    expect(e.code).toBe('CONFIG_UNREADABLE')
    expect(e.file).toBe(file)
  })

  it('a file that is not data is CONFIG_INVALID, naming the file', () => {
    const file = join(dir, 'broken.json')
    writeFileSync(file, '{ nope')
    const e = refusal(() => loadConfig(file))
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.file).toBe(file)
  })

  it('a key the schema refuses is CONFIG_INVALID, naming the key', () => {
    const e = refusal(() => loadConfig(repoConfig, { edge: { deadlineMs: 5 } }))
    expect(e).toMatchObject({ code: 'CONFIG_INVALID', key: 'edge.deadlineMs' })
    expect(e.action).toMatch(/portcullis check/)
  })
})

describe("an upstream's OpenAPI document", () => {
  it('a $ref the loader refuses is OPENAPI_INVALID, naming the file and the key', () => {
    const file = docWith('openapi.json', (d) => {
      d.components.schemas.Remote = { $ref: 'https://example.com/schemas.yaml#/Pet' }
    })
    const e = refusal(() => loadConfig(repoConfig, withDoc(file)))
    expect(e).toMatchObject({ code: 'OPENAPI_INVALID', key: 'upstreams.demo.openapi' })
    // The file holding the reference, where it really is.
    expect(e.file).toBe(realpathSync(file))
    expect(e.message).toContain('URL references are refused')
  })

  it('a $ref to a file that is not there is OPENAPI_UNREADABLE', () => {
    const file = docWith('openapi.json', (d) => {
      d.components.schemas.Gone = { $ref: './gone.json' }
    })
    const e = refusal(() => loadConfig(repoConfig, withDoc(file)))
    expect(e).toMatchObject({ code: 'OPENAPI_UNREADABLE', key: 'upstreams.demo.openapi' })
    expect(e.file).toBe(realpathSync(file))
  })

  it('a document that is not there is OPENAPI_UNREADABLE', () => {
    const file = join(dir, 'nowhere', 'openapi.json')
    const e = refusal(() => loadConfig(repoConfig, withDoc(file)))
    expect(e).toMatchObject({ code: 'OPENAPI_UNREADABLE', key: 'upstreams.demo.openapi', file })
  })

  it('an unknown x-portcullis extension is POLICY_INVALID, naming the file', () => {
    const file = docWith('openapi.json', (d) => {
      d.paths['/orders'].post['x-portcullis-scna'] = ['sql']
    })
    const e = refusal(() => loadConfig(repoConfig, withDoc(file)))
    expect(e).toMatchObject({ code: 'POLICY_INVALID', key: 'upstreams.demo.openapi', file })
  })

  it('a bad x-portcullis-rate-limit is POLICY_INVALID, naming the operation', () => {
    const file = docWith('openapi.json', (d) => {
      d.paths['/orders'].post['x-portcullis-rate-limit'] = { limit: 5, period: 30 }
    })
    const e = refusal(() => loadConfig(repoConfig, withDoc(file)))
    expect(e.code).toBe('POLICY_INVALID')
    expect(e.message).toMatch(/POST \/orders .*x-portcullis-rate-limit/)
  })
})

describe('keys and rules read at start', () => {
  it('a missing access signing key is KEY_MISSING, naming the file', () => {
    const keys = join(dir, 'no-keys')
    mkdirSync(keys)
    const e = refusal(() => readAccessJwks(keys))
    expect(e).toMatchObject({ code: 'KEY_MISSING', file: join(keys, 'jwk', 'access.jwk') })
    expect(e.action).toMatch(/portcullis keys/)
  })

  it('an access signing key that is not one is KEY_INVALID, never quoting it', () => {
    const keys = join(dir, 'bad-keys')
    mkdirSync(join(keys, 'jwk'), { recursive: true })
    writeFileSync(join(keys, 'jwk', 'access.jwk'), '{"d": "secret-material"')
    const e = refusal(() => readAccessJwks(keys))
    expect(e.code).toBe('KEY_INVALID')
    expect(e.message).not.toContain('secret-material')
  })

  it('a Core Rule Set that is not installed is RULES_MISSING, naming its key', () => {
    const e = refusal(() => loadRuleSet(join(dir, 'no-crs')))
    expect(e).toMatchObject({ code: 'RULES_MISSING', key: 'validation.scan.crsDirectory' })
  })
})
