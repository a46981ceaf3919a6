/**
 * An unknown or misplaced extension in an upstream's OpenAPI document stops every component
 * at start, naming the JSON pointer: the config loader (which builds the edge's policy and
 * which every process and CLI command calls first), each process run as the stack runs it,
 * and the validators' own compile steps.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_REQUEST_VALIDATION, type OpenApiDocument } from '../core/index.js'
import { compileRequestHosts, compileResponseRulesFor } from '../validators/lib/index.js'
import { ConfigError, edgePolicyOf, loadConfig } from './index.js'

const repo = new URL('..', import.meta.url).pathname
const repoConfig = join(repo, 'portcullis.config.json')
const POINTER = '/paths/~1orders/post/x-portcullis-scna'

let dir: string
let badDoc: string
let misplacedDoc: string

function demoDoc(): Record<string, any> {
  return JSON.parse(readFileSync(join(repo, 'demo/openapi.json'), 'utf8'))
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-extensions-'))
  const bad = demoDoc()
  // The typo of the review: scanning silently off.
  bad.paths['/orders'].post['x-portcullis-scna'] = ['sql', 'xss']
  badDoc = join(dir, 'typo.json')
  writeFileSync(badDoc, JSON.stringify(bad))
  const misplaced = demoDoc()
  misplaced.paths['/orders']['x-required-claims'] = 'roles.admin'
  misplacedDoc = join(dir, 'misplaced.json')
  writeFileSync(misplacedDoc, JSON.stringify(misplaced))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const withDoc = (openapi: string) => ({ upstreams: { demo: { openapi } } })

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error('the config was accepted')
}

describe('config load (the edge policy, every process, every CLI command)', () => {
  it('EXT-010 the config loader refuses a document with an unknown extension, naming the key and the pointer', () => {
    const e = configErrorOf(() => loadConfig(repoConfig, withDoc(badDoc)))
    expect(e.key).toBe('upstreams.demo.openapi')
    expect(e.message).toContain(POINTER)
    expect(e.message).toContain('x-portcullis-scna is not an extension Portcullis knows')
  })

  it('EXT-011 the edge policy is never built from a document with a misplaced extension', () => {
    // edgePolicyOf takes only a loaded config: the refusal comes before any policy exists.
    const e = configErrorOf(() => edgePolicyOf(loadConfig(repoConfig, withDoc(misplacedDoc))))
    expect(e.message).toContain('/paths/~1orders/x-required-claims')
    expect(e.message).toContain('may appear only on: operation (found on: path item)')
  })
})

describe('the validators compile steps', () => {
  const typo = (): Record<string, OpenApiDocument> => ({
    demo: JSON.parse(readFileSync(badDoc, 'utf8')) as OpenApiDocument,
  })

  it('EXT-012 the request validator refuses to compile a host with an unknown extension', () => {
    expect(() => compileRequestHosts(typo(), DEFAULT_REQUEST_VALIDATION)).toThrow(POINTER)
  })

  it('EXT-013 the response validator refuses to compile a host with an unknown extension', () => {
    expect(() => compileResponseRulesFor(typo())).toThrow(POINTER)
  })
})

/** Runs a process the way the stack does (TypeScript through tsx) with the bad document. */
function run(
  args: string[],
  overrides: Record<string, unknown> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', ...args],
      {
        cwd: repo,
        timeout: 50_000,
        env: {
          ...process.env,
          PORTCULLIS_CONFIG_OVERRIDES: JSON.stringify({ ...withDoc(badDoc), ...overrides }),
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, output: stdout + stderr })
      },
    )
  })
}

// Each process is a cold tsx start: seconds each on a busy machine, so one after the other.
describe('every process that reads documents refuses to start', { timeout: 60_000 }, () => {
  it.each([
    ['the request validator', ['validators/request/main.ts'], {}],
    ['the response validator', ['validators/response/main.ts'], {}],
    [
      'the validating backend connector (single-validation)',
      ['backend/main.ts', '--host', 'demo'],
      { topology: 'single-validation' },
    ],
  ])('EXT-014 %s exits at start, naming the pointer', async (_, args, overrides) => {
    const { code, output } = await run(args, overrides)
    expect(code).toBe(1)
    const line = output.split('\n').find((l) => l.startsWith('error start-failed '))
    expect(line).toContain(' code=POLICY_INVALID ')
    expect(line).toContain(' key=upstreams.demo.openapi ')
    expect(line).toContain(POINTER)
    expect(line).toMatch(/ action="fix the named x-portcullis extension/)
    expect(output).not.toContain('portcullis:ready')
  })

  it('EXT-015 portcullis commands that load the config exit 1, naming the pointer', async () => {
    const badConfig = join(dir, 'portcullis.config.json')
    const config = JSON.parse(readFileSync(repoConfig, 'utf8'))
    config.upstreams.demo.openapi = badDoc
    writeFileSync(badConfig, JSON.stringify(config))
    const { code, output } = await run(['cli/main.ts', 'topology', '--config', badConfig])
    expect(code).toBe(1)
    expect(output).toContain(`portcullis: POLICY_INVALID: config upstreams.demo.openapi:`)
    expect(output).toContain(POINTER)
  })
})
