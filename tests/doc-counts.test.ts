/**
 * Counts quoted in the READMEs are what they count: each is read back from the doc and
 * compared with the table, corpus or fixture it describes. (The security-test catalog's counts
 * are generated with it: tests/catalog.ts.)
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { loadOpenApi } from '../openapi/index.js'
import { REQUEST_CASES } from '../validators/request/security.cases.js'
import { ATTACK_CORPUS } from '../validators/lib/request/crs/corpora/attacks.js'
import { LEGITIMATE_CORPUS } from '../validators/lib/request/crs/corpora/legitimate.js'
import { quotedNumbers } from './doc-numbers.js'

const FIXTURES = fileURLToPath(new URL('../openapi/fixtures/', import.meta.url))
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'query']

describe('counts quoted in the docs', () => {
  it('validators/README.md: the request attack table', () => {
    expect(
      quotedNumbers('validators/README.md', /`request\/security\.cases\.ts` \(([\d,]+) cases/),
    ).toEqual([REQUEST_CASES.length])
  })

  it('validators/README.md: the injection corpora', () => {
    const attacks = Object.values(ATTACK_CORPUS).flat().length
    const classes = Object.keys(ATTACK_CORPUS).length
    const legitimate = Object.values(LEGITIMATE_CORPUS).flat().length
    expect(
      quotedNumbers(
        'validators/README.md',
        /([\d,]+) attacks in ([\d,]+) classes, ([\d,]+) legitimate strings/,
      ),
    ).toEqual([attacks, classes, legitimate])
  })

  it('validators/lib/request/crs/README.md: the legitimate corpus behind the false-positive rate', () => {
    const legitimate = Object.values(LEGITIMATE_CORPUS).flat().length
    expect(
      quotedNumbers(
        'validators/lib/request/crs/README.md',
        /measured false positives: \d+ of (\d+) legitimate strings/,
      ),
    ).toEqual([legitimate])
  })

  const fixtures: Array<[name: string, root: string]> = [
    ['swagger-petstore', 'swagger-petstore/openapi.yaml'],
    ['petstore-expanded', 'petstore-expanded/petstore-expanded.yaml'],
    ['museum', 'museum/openapi.yaml'],
    ['redocly-cafe', 'redocly-cafe/openapi/openapi.yaml'],
    ['tictactoe', 'tictactoe/tictactoe.json'],
    ['uspto', 'uspto/uspto.json'],
  ]
  it.each(fixtures)('openapi/README.md: the %s fixture', (name, root) => {
    const { document, files } = loadOpenApi(join(FIXTURES, root))
    const operations = Object.values(document.paths ?? {}).flatMap((item) =>
      METHODS.filter((m) => item && typeof item === 'object' && m in item),
    ).length
    const quoted = new RegExp(
      `${name} \\((?:OpenAPI )?[\\d.]+, (?:YAML|JSON)(?: in (\\d+) files)?, (\\d+)`,
    )
    const [fileCount, operationCount] = quotedNumbers('openapi/README.md', quoted)
    expect(operationCount).toBe(operations)
    if (!Number.isNaN(fileCount)) expect(fileCount).toBe(files.length)
    expect(dirname(join(FIXTURES, root))).toContain(name)
  })
})
