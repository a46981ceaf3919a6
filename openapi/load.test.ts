import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compileRoutes, DEFAULT_REQUEST_VALIDATION } from '../core/index.js'
import { compileHost, compileRequestHosts } from '../validators/lib/index.js'
import { loadOpenApi, OpenApiError } from './index.js'
import { rootYaml, tree } from './testing.js'

function refusal(path: string): OpenApiError {
  try {
    loadOpenApi(path)
  } catch (e) {
    if (e instanceof OpenApiError) return e
    throw e
  }
  throw new Error('expected a refusal')
}

/** Every `$ref` string in reference positions of `doc` (everything but `x-*` and data). */
function refsOf(doc: unknown, out: string[] = []): string[] {
  if (Array.isArray(doc)) for (const v of doc) refsOf(v, out)
  else if (typeof doc === 'object' && doc !== null) {
    for (const [k, v] of Object.entries(doc)) {
      if (k === '$ref' && typeof v === 'string') out.push(v)
      else if (!k.startsWith('x-') && k !== 'example' && k !== 'examples') refsOf(v, out)
    }
  }
  return out
}

const pet = `
type: object
required: [id]
properties:
  id: { type: integer }
  name: { type: string }
`

describe('loadOpenApi', () => {
  it('reads a document split across files into one, with the files it read', () => {
    const dir = tree({
      'api/openapi.yaml': rootYaml(`
/pets:
  $ref: paths/pets.yaml
/pets/{id}:
  $ref: ./paths/pet.yaml
`),
      'api/paths/pets.yaml': `
get:
  operationId: listPets
  parameters:
    - $ref: ../common.yaml#/components/parameters/Limit
  responses:
    '200':
      description: ok
      content:
        application/json:
          schema: { type: array, items: { $ref: ../schemas/Pet.yaml } }
`,
      'api/paths/pet.yaml': `
get:
  operationId: getPet
  parameters:
    - { name: id, in: path, required: true, schema: { $ref: '../schemas/Pet.yaml#/properties/id' } }
  responses:
    '200': { $ref: '../common.yaml#/components/responses/OnePet' }
`,
      'api/common.yaml': `
components:
  parameters:
    Limit: { name: limit, in: query, schema: { type: integer, maximum: 50 } }
  responses:
    OnePet:
      description: one pet
      content:
        application/json:
          schema: { $ref: './schemas/Pet.yaml' }
`,
      'api/schemas/Pet.yaml': pet,
    })
    const { document, files } = loadOpenApi(join(dir, 'api/openapi.yaml'))
    expect(files.map((f) => f.slice(dir.length))).toEqual([
      '/api/openapi.yaml',
      '/api/paths/pets.yaml',
      '/api/common.yaml',
      '/api/schemas/Pet.yaml',
      '/api/paths/pet.yaml',
    ])
    const components = document.components as Record<string, Record<string, unknown>>
    expect(Object.keys(components.schemas!)).toEqual(['Pet', 'id'])
    expect(components.parameters!.Limit).toMatchObject({ name: 'limit', in: 'query' })
    expect(components.responses!.OnePet).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } },
    })
    expect(document.paths!['/pets']!.get).toMatchObject({
      parameters: [{ $ref: '#/components/parameters/Limit' }],
    })
    for (const ref of refsOf(document)) expect(ref).toMatch(/^#\/components\//)
    expect(
      compileRoutes('pets', document)
        .routes.map((r) => r.operation)
        .sort(),
    ).toEqual(['getPet', 'listPets'])
    compileHost('pets', document)
  })

  it('keeps a schema reference below a component of the root document, and compiles it', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(
        `
/pets/{id}:
  get:
    parameters:
      - { name: id, in: path, required: true, schema: { $ref: '#/components/schemas/Pet/properties/id' } }
    responses: { '200': { description: ok } }
`,
        `schemas:\n  Pet:\n${pet.replace(/^/gm, '    ')}`,
      ),
    })
    const { document } = loadOpenApi(join(dir, 'openapi.yaml'))
    expect(refsOf(document)).toEqual(['#/components/schemas/Pet/properties/id'])
    const host = compileRequestHosts({ pets: document }, DEFAULT_REQUEST_VALIDATION).pets!
    expect([...host.rules.values()][0]!.path.get('id')).toBeDefined()
  })

  it('makes a root component that only names another file that file', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(
        `
/pets:
  post:
    requestBody:
      content: { application/json: { schema: { $ref: 'schemas/Pet.yaml' } } }
    responses: { '201': { description: ok } }
`,
        `schemas:\n  Animal: { $ref: 'schemas/Pet.yaml' }\n  Other: { $ref: 'schemas/Pet.yaml' }`,
      ),
      'schemas/Pet.yaml': pet,
    })
    const { document } = loadOpenApi(join(dir, 'openapi.yaml'))
    const schemas = (document.components as Record<string, Record<string, unknown>>).schemas!
    expect(Object.keys(schemas)).toEqual(['Animal', 'Other'])
    expect(schemas.Animal).toMatchObject({ required: ['id'] })
    expect(schemas.Other).toEqual({ $ref: '#/components/schemas/Animal' })
    expect(refsOf(document.paths)).toEqual(['#/components/schemas/Animal'])
  })

  it('keeps circular schemas across files as references, and validates through them', async () => {
    const dir = tree({
      'openapi.yaml': rootYaml(`
/people:
  post:
    operationId: addPerson
    requestBody:
      required: true
      content: { application/json: { schema: { $ref: 'schemas/Person.yaml' } } }
    responses: { '201': { description: ok } }
`),
      'schemas/Person.yaml': `
type: object
additionalProperties: false
required: [name]
properties:
  name: { type: string }
  pets: { type: array, items: { $ref: Pet.yaml } }
`,
      'schemas/Pet.yaml': `
type: object
additionalProperties: false
required: [owner]
properties:
  owner: { $ref: ./Person.yaml }
`,
    })
    const { document } = loadOpenApi(join(dir, 'openapi.yaml'))
    const schemas = (document.components as Record<string, Record<string, unknown>>).schemas!
    expect(Object.keys(schemas)).toEqual(['Person', 'Pet'])
    expect(schemas.Pet).toMatchObject({
      properties: { owner: { $ref: '#/components/schemas/Person' } },
    })
    const host = compileHost('people', document)
    const validate = host.operations.get('addPerson')!.request.get('application/json')!
    expect(validate({ name: 'a', pets: [{ owner: { name: 'b', pets: [] } }] })).toBe(true)
    expect(validate({ name: 'a', pets: [{ owner: { name: 3 } }] })).toBe(false)
  })

  it('names two different schemas of one file name by their paths, whatever the order met', () => {
    const files = {
      'schemas/Pet.yaml': pet,
      'legacy/Pet.yaml': 'type: object\nproperties: { tag: { type: string } }\n',
      'other/Error.yaml': 'type: string\n',
    }
    const paths = (first: string, second: string) => `
/a:
  get:
    responses:
      '200': { description: ok, content: { application/json: { schema: { $ref: '${first}' } } } }
      '201': { description: ok, content: { application/json: { schema: { $ref: '${second}' } } } }
      '500': { description: e, content: { application/json: { schema: { $ref: other/Error.yaml } } } }
`
    const one = loadOpenApi(
      join(
        tree({ ...files, 'openapi.yaml': rootYaml(paths('schemas/Pet.yaml', 'legacy/Pet.yaml')) }),
        'openapi.yaml',
      ),
    ).document
    const two = loadOpenApi(
      join(
        tree({ ...files, 'openapi.yaml': rootYaml(paths('legacy/Pet.yaml', 'schemas/Pet.yaml')) }),
        'openapi.yaml',
      ),
    ).document
    const names = (d: typeof one) =>
      Object.keys((d.components as Record<string, Record<string, unknown>>).schemas!)
    expect(names(one)).toEqual(['Error', 'legacy_Pet', 'schemas_Pet'])
    expect(names(two)).toEqual(names(one))
    const ok = (one.paths!['/a']!.get as { responses: Record<string, unknown> }).responses
    expect(ok['200']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/schemas_Pet' } } },
    })
  })

  it('keeps the root document own component names; a file of that name gets its path', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(
        `
/a:
  get:
    responses:
      '200': { description: ok, content: { application/json: { schema: { $ref: 'schemas/Pet.yaml' } } } }
`,
        'schemas:\n  Pet: { type: string }',
      ),
      'schemas/Pet.yaml': pet,
    })
    const schemas = (
      loadOpenApi(join(dir, 'openapi.yaml')).document.components as Record<
        string,
        Record<string, unknown>
      >
    ).schemas!
    expect(schemas).toMatchObject({ Pet: { type: 'string' }, schemas_Pet: { required: ['id'] } })
  })

  it('points discriminator mappings that name files at the components', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(`
/a:
  post:
    requestBody:
      content: { application/json: { schema: { $ref: schemas/Animal.yaml } } }
    responses: { '200': { description: ok } }
`),
      'schemas/Animal.yaml': `
oneOf: [{ $ref: Cat.yaml }, { $ref: Dog.yaml }]
discriminator: { propertyName: kind, mapping: { cat: ./Cat.yaml, dog: Dog } }
`,
      'schemas/Cat.yaml': 'type: object\nproperties: { kind: { const: cat } }\n',
      'schemas/Dog.yaml': 'type: object\nproperties: { kind: { const: dog } }\n',
    })
    const schemas = (
      loadOpenApi(join(dir, 'openapi.yaml')).document.components as Record<
        string,
        Record<string, unknown>
      >
    ).schemas!
    expect(schemas.Animal).toMatchObject({
      discriminator: { mapping: { cat: '#/components/schemas/Cat', dog: 'Dog' } },
    })
  })

  it('OAS-010 refuses http and https references: nothing is fetched at start', () => {
    for (const ref of [
      'https://example.com/pet.yaml',
      'http://127.0.0.1:9/x.yaml#/Pet',
      '//example.com/x.yaml',
    ]) {
      const dir = tree({
        'openapi.yaml': rootYaml(`
/a:
  get:
    responses:
      '200': { description: ok, content: { application/json: { schema: { $ref: '${ref}' } } } }
`),
      })
      const e = refusal(join(dir, 'openapi.yaml'))
      expect(e.message).toContain(
        'openapi.yaml#/paths/~1a/get/responses/200/content/application~1json/schema: $ref',
      )
      expect(e.message).toMatch(/URL references are refused/)
    }
  })

  it('OAS-011 refuses file: URLs, absolute paths, other schemes and anchors', () => {
    const cases: Array<[string, RegExp]> = [
      ['file:///etc/passwd', /file: URLs are refused/],
      ['/etc/passwd.yaml', /absolute paths are refused/],
      ['urn:x:y', /scheme \(urn:\)/],
      ['schemas.yaml#Pet', /JSON pointer fragments/],
      ['a\\b.yaml', /backslash/],
    ]
    for (const [ref, reason] of cases) {
      const dir = tree({
        'openapi.yaml': rootYaml(
          `/a: { get: { parameters: [{ $ref: '${ref}' }], responses: {} } }`,
        ),
      })
      const e = refusal(join(dir, 'openapi.yaml'))
      expect(e.message).toMatch(reason)
      expect(e.pointer).toBe('/paths/~1a/get/parameters/0')
    }
  })

  it("OAS-012 refuses a reference outside the root document's folder, by .. or by a symbolic link", () => {
    const dir = tree({
      'secret.yaml': 'type: string\n',
      'api/openapi.yaml': rootYaml(
        `/a: { get: { parameters: [{ $ref: '../secret.yaml' }], responses: {} } }`,
      ),
      'api2/openapi.yaml': rootYaml(
        `/a: { get: { parameters: [{ $ref: 'link/secret.yaml' }], responses: {} } }`,
      ),
    })
    symlinkSync(dir, join(dir, 'api2/link'))
    expect(refusal(join(dir, 'api/openapi.yaml')).message).toMatch(
      /is outside .*root document's folder/,
    )
    expect(refusal(join(dir, 'api2/openapi.yaml')).message).toMatch(/is outside/)
  })

  it('OAS-013 reads only .yaml, .yml and .json files', () => {
    const dir = tree({
      '.env': 'TOKEN=secret\n',
      'openapi.yaml': rootYaml(`/a: { get: { parameters: [{ $ref: '.env' }], responses: {} } }`),
    })
    const e = refusal(join(dir, 'openapi.yaml'))
    expect(e.message).toMatch(/only \.yaml, \.yml, \.json files are read/)
    expect(e.message).not.toContain('secret')
    expect(e.files).toHaveLength(1)
  })

  it('OAS-014 names the referring file and pointer, and the file that is missing', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(`/pets: { $ref: paths/pets.yaml }`),
      'paths/pets.yaml': `
get:
  responses:
    '200':
      $ref: ../responses/Missing.yaml
`,
    })
    const e = refusal(join(dir, 'openapi.yaml'))
    expect(e.message).toMatch(
      /paths\/pets\.yaml#\/get\/responses\/200: .*responses\/Missing\.yaml: no such file$/,
    )
    expect(e.pointer).toBe('/get/responses/200')
    expect(e.files.map((f) => f.slice(dir.length))).toEqual(['/openapi.yaml', '/paths/pets.yaml'])
  })

  it('OAS-015 names a reference whose pointer leads nowhere', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(
        `/a: { get: { parameters: [{ $ref: 'common.yaml#/components/parameters/Nope' }], responses: {} } }`,
      ),
      'common.yaml': 'components: { parameters: { Limit: { name: limit, in: query } } }\n',
    })
    expect(refusal(join(dir, 'openapi.yaml')).message).toMatch(
      /openapi\.yaml#\/paths\/~1a\/get\/parameters\/0: \$ref target common\.yaml#\/components\/parameters\/Nope does not exist/,
    )
  })

  it('OAS-016 refuses Swagger 2.0: convert it to OpenAPI 3 first', () => {
    const dir = tree({
      'swagger.yaml': 'swagger: "2.0"\ninfo: { title: t, version: "1" }\npaths: {}\n',
    })
    const e = refusal(join(dir, 'swagger.yaml'))
    expect(e.message).toMatch(
      /swagger\.yaml#\/swagger: Swagger 2\.0 is not supported: convert the document to OpenAPI 3 first/,
    )
  })

  it('OAS-017 refuses other OpenAPI versions, a missing version and another schema dialect', () => {
    const cases: Array<[string, RegExp]> = [
      ['openapi: 3.2.0\npaths: {}\n', /OpenAPI 3\.2\.0 is not supported/],
      ['info: { title: t }\npaths: {}\n', /openapi: 3\.x\.y/],
      ['- a\n', /not a mapping/],
      [
        'openapi: 3.1.0\njsonSchemaDialect: http://json-schema.org/draft-07/schema#\npaths: {}\n',
        /jsonSchemaDialect: .*draft-07/,
      ],
    ]
    for (const [text, reason] of cases) {
      expect(refusal(join(tree({ 'openapi.yaml': text }), 'openapi.yaml')).message).toMatch(reason)
    }
  })

  it('OAS-018 never follows a $ref inside an extension (x-codeSamples): no file is read', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(`
/a:
  get:
    x-codeSamples: [{ lang: sh, source: { $ref: ../../../etc/passwd } }]
    responses: { '200': { description: ok } }
`),
    })
    const { document, files } = loadOpenApi(join(dir, 'openapi.yaml'))
    expect(files).toHaveLength(1)
    expect(document.paths!['/a']!.get).toMatchObject({
      'x-codeSamples': [{ source: { $ref: '../../../etc/passwd' } }],
    })
  })

  it('OAS-019 refuses a $ref where OpenAPI allows none (an operation, a media type)', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(`/a: { get: { $ref: op.yaml } }`),
      'op.yaml': 'responses: {}\n',
    })
    expect(refusal(join(dir, 'openapi.yaml')).message).toMatch(
      /openapi\.yaml#\/paths\/~1a\/get: a \$ref is not allowed in an operation/,
    )
  })

  it('OAS-020 refuses path items that include each other', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(`/a: { $ref: a.yaml }`),
      'a.yaml': `
get:
  callbacks:
    again:
      '{$request.body#/url}': { $ref: a.yaml }
  responses: {}
`,
    })
    expect(refusal(join(dir, 'openapi.yaml')).message).toMatch(/path item references form a cycle/)
  })

  it('OAS-021 refuses $id in a schema, which would change what its references mean', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(
        `/a: { get: { responses: {} } }`,
        `schemas:\n  Pet: { $id: 'https://example.com/pet', type: object }`,
      ),
    })
    expect(refusal(join(dir, 'openapi.yaml')).pointer).toBe('/components/schemas/Pet/$id')
  })

  it('OAS-022 names file, line and column of a referenced file it cannot parse', () => {
    const dir = tree({
      'openapi.yaml': rootYaml(`/a: { $ref: paths/a.yaml }`),
      'paths/a.yaml': 'get:\n  responses: {}\n  responses: {}\n',
    })
    const e = refusal(join(dir, 'openapi.yaml'))
    expect(e).toMatchObject({ line: 3, column: 3 })
    expect(e.message).toMatch(/paths\/a\.yaml:3:3: /)
  })

  it('refuses a root document that does not exist, naming it', () => {
    expect(() => loadOpenApi('/nonexistent/openapi.yaml')).toThrow(/openapi\.yaml: no such file/)
  })

  it('reads JSON documents with YAML siblings', () => {
    const dir = tree({
      'openapi.json': JSON.stringify({
        openapi: '3.0.3',
        info: { title: 't', version: '1' },
        paths: { '/a': { $ref: 'paths.yaml#/a' } },
      }),
      'paths.yaml': "a:\n  get:\n    responses:\n      '200': { description: ok }\n",
    })
    const { document } = loadOpenApi(join(dir, 'openapi.json'))
    expect(document.paths!['/a']).toEqual({ get: { responses: { '200': { description: 'ok' } } } })
    writeFileSync(join(dir, 'paths.yaml'), 'a: [\n')
    expect(refusal(join(dir, 'openapi.json')).file).toBe(join(dir, 'paths.yaml'))
  })
})
