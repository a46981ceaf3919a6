import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { rootYaml, tree } from '../openapi/testing.js'
import { ConfigError, loadConfig } from './index.js'

const CAFE = fileURLToPath(new URL('../openapi/fixtures/redocly-cafe/openapi', import.meta.url))

const configYaml = (openapi: string) => `
# portcullis.config.yaml
deployment: LAB
upstreams:
  cafe:
    baseUrl: http://127.0.0.1:8790
    openapi: ${openapi}
paths: { keys: .portcullis/keys, data: .portcullis/data }
`

function error(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error('expected a ConfigError')
}

describe('YAML config and OpenAPI documents as users have them', () => {
  it('loads portcullis.config.yaml with a multi-file YAML document, and lists its files', () => {
    const dir = tree({ 'portcullis.config.yaml': configYaml('api/openapi.yaml') })
    cpSync(CAFE, join(dir, 'api'), { recursive: true })
    const config = loadConfig(join(dir, 'portcullis.config.yaml'))
    expect(config.routes.cafe!.routes).toHaveLength(12)
    expect(config.openapi.cafe!.openapi).toBe('3.1.0')
    const files = config.openapiFiles.cafe!
    expect(files[0]).toBe(join(dir, 'api/openapi.yaml'))
    expect(files).toContain(join(dir, 'api/components/schemas/MenuItem.yaml'))
    expect(files.some((f) => f.includes('code_samples'))).toBe(false)
  })

  it('OAS-030 refuses a config file that gives a key twice, naming line and column', () => {
    const dir = tree({
      'portcullis.config.yaml': 'deployment: LAB\ndeployment: PROD\n',
      'portcullis.config.json': '{ "deployment": "LAB", "deployment": "PROD" }',
    })
    const yaml = error(() => loadConfig(join(dir, 'portcullis.config.yaml')))
    expect(yaml.key).toBe('')
    expect(yaml.message).toMatch(/portcullis\.config\.yaml:2:1: /)
    expect(error(() => loadConfig(join(dir, 'portcullis.config.json'))).message).toMatch(
      /portcullis\.config\.json:1:24: Map keys must be unique/,
    )
  })

  it("OAS-031 a document's refusal names the config key, the file and the JSON pointer", () => {
    const dir = tree({
      'portcullis.config.yaml': configYaml('api/openapi.yaml'),
      'api/openapi.yaml': rootYaml('/pets: { $ref: paths/pets.yaml }'),
      'api/paths/pets.yaml':
        "get:\n  responses:\n    '200': { $ref: 'https://example.com/r.yaml' }\n",
    })
    const e = error(() => loadConfig(join(dir, 'portcullis.config.yaml')))
    expect(e.key).toBe('upstreams.cafe.openapi')
    expect(e.message).toMatch(
      /^config upstreams\.cafe\.openapi: .*api\/paths\/pets\.yaml#\/get\/responses\/200: \$ref "https:\/\/example\.com\/r\.yaml": URL references are refused/,
    )
  })

  it('OAS-032 a route table the document cannot give names the document file', () => {
    const dir = tree({
      'portcullis.config.yaml': configYaml('api/openapi.yaml'),
      'api/openapi.yaml': rootYaml(
        "/pets/{id}.json: { get: { responses: { '200': { description: ok } } } }",
      ),
    })
    const e = error(() => loadConfig(join(dir, 'portcullis.config.yaml')))
    expect(e.key).toBe('upstreams.cafe.openapi')
    expect(e.message).toMatch(
      /api\/openapi\.yaml: openapi: unsupported template \/pets\/\{id\}\.json/,
    )
  })
})
