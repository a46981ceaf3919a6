/**
 * ajv, set up as `createAjv` sets it up for the validators (draft 2020-12, formats, re2js
 * patterns), against the official JSON Schema test suite's required draft 2020-12 cases
 * (`tests/draft2020-12/*.json`, not `optional/`), two ways:
 *
 * - the engine: the same set-up with ajv's strict authoring lint off, since the suite's
 *   schemas are legal JSON Schema the lint was never meant to accept. Every case passes or
 *   is named in a known-failures list, so a change in ajv or in our set-up shows as the
 *   exact cases it moves.
 * - the validators' strict set-up: a schema it refuses is a start error, never a wrong
 *   answer, so every case of every schema it compiles must pass.
 *
 * Remote references (`http://localhost:1234/...`) are served from the suite's `remotes/`
 * folder by adding them to ajv; nothing is ever fetched (ajv has no loader, so an unknown
 * reference is a compile error). The suite is read from `JSON_SCHEMA_TEST_SUITE`, from
 * the copy `npm test` unpacks from Debian's package of it into .portcullis/, from that
 * package installed system-wide, or from the npm wrapper `@json-schema-org/tests`.
 * Without it only the runner's own sample (testdata/json-schema-suite) runs, and under CI
 * that is a failure.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { createAjv } from './ajv.js'
import { engineLimit } from './engine-limits.js'
import { quotedNumbers } from '../../tests/doc-numbers.js'

const DRAFT = 'draft2020-12'
const DRAFT_META = 'https://json-schema.org/draft/2020-12/schema'
const REMOTE_BASE = 'http://localhost:1234/'

interface Group {
  description: string
  schema: unknown
  tests: Array<{ description: string; data: unknown; valid: boolean }>
}

interface SuiteRun {
  passed: number
  /** `<file>: <group> / <test>` of every case the set-up answered wrong. */
  wrong: string[]
  /** `<file>: <group>` of every schema the set-up refused to compile, and its case count. */
  refused: Record<string, number>
}

function jsonFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...jsonFiles(path))
    else if (entry.name.endsWith('.json')) out.push(path)
  }
  return out.sort()
}

/** The suite's remotes as (URL, schema), leaving out those written for other drafts. */
function remotes(root: string): Array<[string, object]> {
  const dir = join(root, 'remotes')
  const out: Array<[string, object]> = []
  for (const file of jsonFiles(dir)) {
    const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    if (schema.$schema !== undefined && schema.$schema !== DRAFT_META) continue
    out.push([REMOTE_BASE + relative(dir, file).split('\\').join('/'), schema])
  }
  return out
}

/** Compiles the way a set-up does; throws for a schema it refuses. */
type Compile = (schema: object) => (data: unknown) => boolean

/** One set-up: a fresh ajv per group (groups reuse `$id`s), plus a check before compiling. */
function setUp(make: () => Ajv2020, check?: (schema: unknown) => string | undefined) {
  return (remotes: Array<[string, object]>): Compile => {
    const ajv = make()
    for (const [url, schema] of remotes) {
      try {
        ajv.addSchema(structuredClone(schema), url)
      } catch {
        // A remote this set-up refuses counts against the groups that use it.
      }
    }
    return (schema) => {
      const why = check?.(schema)
      if (why) throw new Error(why)
      return ajv.compile(structuredClone(schema))
    }
  }
}

function runSuite(root: string, compiler: (remotes: Array<[string, object]>) => Compile): SuiteRun {
  const served = remotes(root)
  const dir = join(root, 'tests', DRAFT)
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
  const run: SuiteRun = { passed: 0, wrong: [], refused: {} }
  for (const file of files) {
    const groups = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Group[]
    for (const group of groups) {
      const compile = compiler(JSON.stringify(group.schema).includes(REMOTE_BASE) ? served : [])
      let validate: (data: unknown) => boolean
      try {
        validate = compile(group.schema as object)
      } catch {
        run.refused[`${file}: ${group.description}`] = group.tests.length
        continue
      }
      for (const t of group.tests) {
        let ok = false
        try {
          ok = validate(t.data) === t.valid
        } catch {
          ok = false
        }
        if (ok) run.passed++
        else run.wrong.push(`${file}: ${group.description} / ${t.description}`)
      }
    }
  }
  return run
}

/** The figures validators/README.md quotes; a test below reads them back. */
const README = 'validators/README.md'
const refusedOf = (run: SuiteRun) => Object.values(run.refused).reduce((a, b) => a + b, 0)
const schemasOf = (run: SuiteRun) => Object.keys(run.refused).length
const totalOf = (run: SuiteRun) => run.passed + run.wrong.length + refusedOf(run)

function report(label: string, run: SuiteRun): void {
  const refused = refusedOf(run)
  const total = totalOf(run)
  // Not the "N passed, N failed" shape: that line is the test runner's own.
  process.stdout.write(
    `${label}: ${run.passed} of ${total} cases pass, ${run.wrong.length} answered wrong, ` +
      `${refused} in ${Object.keys(run.refused).length} schemas refused at compile\n`,
  )
}

/** Where Debian's libtest-json-schema-acceptance-perl keeps its copy of the suite. */
const DEBIAN_SUITE = '/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance'
/** Where `npm test` unpacks that package when it is not installed (cli/bootstrap.mjs). */
const UNPACKED_SUITE = fileURLToPath(
  new URL(`../../.portcullis/json-schema-test-suite${DEBIAN_SUITE}`, import.meta.url),
)

function findSuite(): string | undefined {
  const fromEnv = process.env.JSON_SCHEMA_TEST_SUITE
  if (fromEnv) return fromEnv
  for (const dir of [UNPACKED_SUITE, DEBIAN_SUITE]) {
    if (existsSync(join(dir, 'tests', DRAFT))) return dir
  }
  try {
    return dirname(createRequire(import.meta.url).resolve('json-schema-test-suite/package.json'))
  } catch {
    return undefined
  }
}

/** The validators' set-up with ajv's strict authoring lint off: the engine alone. */
const lax = () => createAjv({ strict: false, logger: false })
const engine = setUp(lax)
/** The validators' set-up: strict, and the shapes the engine answers wrong refused. */
const validators = setUp(createAjv, engineLimit)
const strict = setUp(createAjv)

/** Wrong in every set-up without the engine limits: ajv's dynamic scope. */
const DYNAMIC_REF_WRONG = [
  'dynamicRef.json: A $dynamicRef to a $dynamicAnchor in the same schema resource behaves like a normal $ref to an $anchor / An array of strings is valid',
  'dynamicRef.json: A $dynamicRef to an $anchor in the same schema resource behaves like a normal $ref to an $anchor / An array of strings is valid',
  'dynamicRef.json: A $dynamicRef resolves to the first $dynamicAnchor still in scope that is encountered when the schema is evaluated / An array of strings is valid',
  'dynamicRef.json: A $dynamicRef without anchor in fragment behaves identical to $ref / An array of numbers is valid',
  "dynamicRef.json: A $dynamicRef with intermediate scopes that don't include a matching $dynamicAnchor does not affect dynamic scope resolution / An array of strings is valid",
  'dynamicRef.json: An $anchor with the same name as a $dynamicAnchor is not used for dynamic scope resolution / Any array is valid',
  'dynamicRef.json: A $dynamicRef without a matching $dynamicAnchor in the same schema resource behaves like a normal $ref to $anchor / Any array is valid',
  'dynamicRef.json: A $dynamicRef with a non-matching $dynamicAnchor in the same schema resource behaves like a normal $ref to $anchor / Any array is valid',
  'dynamicRef.json: tests for implementation dynamic anchor and reference link / correct extended schema',
  'dynamicRef.json: $ref and $dynamicAnchor are independent of order - $defs first / correct extended schema',
  'dynamicRef.json: $ref and $dynamicAnchor are independent of order - $ref first / correct extended schema',
]
/** Wrong likewise: a property the failed `if` looked at counts as evaluated. */
const IF_WITHOUT_THEN_WRONG =
  'unevaluatedProperties.json: unevaluatedProperties with if/then/else, then not defined / when if is false and has unevaluated properties'

/**
 * The official suite's draft 2020-12 cases the engine gets wrong or cannot compile, by
 * `<file>: <group> / <test>`: ajv's partial `$dynamicRef` and `unevaluatedItems` support,
 * a few refs it resolves unlike the spec, a custom meta-schema's vocabulary it does not
 * switch off, and an own `__proto__` (which the request validator refuses in any body).
 */
const KNOWN_FAILURES = {
  wrong: [
    ...DYNAMIC_REF_WRONG,
    'properties.json: properties whose names are Javascript object property names / __proto__ not valid',
    'unevaluatedItems.json: unevaluatedItems with nested items / with no additional items',
    'unevaluatedItems.json: unevaluatedItems with nested items / with invalid additional item',
    'unevaluatedItems.json: unevaluatedItems depends on adjacent contains / contains passes, second item is not evaluated',
    'unevaluatedItems.json: unevaluatedItems depends on multiple nested contains / 7 not evaluated, fails unevaluatedItems',
    "unevaluatedItems.json: unevaluatedItems and contains interact to control item dependency relationship / only b's are invalid",
    "unevaluatedItems.json: unevaluatedItems and contains interact to control item dependency relationship / only c's are invalid",
    "unevaluatedItems.json: unevaluatedItems and contains interact to control item dependency relationship / only b's and c's are invalid",
    "unevaluatedItems.json: unevaluatedItems and contains interact to control item dependency relationship / only a's and c's are invalid",
    IF_WITHOUT_THEN_WRONG,
    'vocabulary.json: schema that uses custom metaschema with with no validation vocabulary / no validation: invalid number, but it still validates',
  ],
  refused: {
    'dynamicRef.json: A $dynamicRef that initially resolves to a schema with a matching $dynamicAnchor resolves to the first $dynamicAnchor in the dynamic scope': 2,
    'dynamicRef.json: A $dynamicRef that initially resolves to a schema without a matching $dynamicAnchor behaves like a normal $ref to $anchor': 1,
    'dynamicRef.json: after leaving a dynamic scope, it is not used by a $dynamicRef': 3,
    'ref.json: URN ref with nested pointer ref': 2,
    'ref.json: refs with relative uris and defs': 3,
    'ref.json: relative refs with absolute uris and defs': 3,
    'unknownKeyword.json: $id inside an unknown keyword is not a real identifier': 3,
  } as Record<string, number>,
}
/** Strict ajv's wrong answers without the engine limits, which refuse these schemas first. */
const STRICT_WRONG = [...DYNAMIC_REF_WRONG, IF_WITHOUT_THEN_WRONG]

describe('JSON Schema test suite runner', () => {
  const sample = fileURLToPath(new URL('./testdata/json-schema-suite', import.meta.url))

  it('counts, serves remotes from the remotes folder, never fetches, and skips optional/', () => {
    const run = runSuite(sample, engine)
    report(`sample ${DRAFT}, engine`, run)
    expect(run.wrong).toEqual([])
    expect(run.refused).toEqual({ 'sample.json: a remote that is not there is never fetched': 1 })
    expect(run.passed).toBe(5)
  })

  it('counts a schema the strict set-up refuses as refused, not as a wrong answer', () => {
    const run = runSuite(sample, strict)
    report(`sample ${DRAFT}, strict`, run)
    expect(run.wrong).toEqual([])
    expect(run.refused).toEqual({
      'sample.json: a remote that is not there is never fetched': 1,
      'sample.json: unknown keyword': 1,
    })
    expect(run.passed).toBe(4)
  })
})

const suite = findSuite()
const present = suite !== undefined && existsSync(join(suite, 'tests', DRAFT))

// Each case runs the whole suite (about 1,200 cases, each schema compiled): seconds on a busy
// machine, so the per-test limit is the suite's, not the unit default.
describe(`official JSON Schema test suite, ${DRAFT}`, { timeout: 60_000 }, () => {
  it.runIf(!present && process.env.CI)('is present under CI', () => {
    expect.fail(
      'the official JSON Schema test suite was not found: `npm test` unpacks it from ' +
        "Debian's libtest-json-schema-acceptance-perl; or set JSON_SCHEMA_TEST_SUITE=<checkout>",
    )
  })

  it.runIf(present)('the engine passes every required case except the known failures', () => {
    const run = runSuite(suite!, engine)
    report(`official ${DRAFT}, engine`, run)
    expect({ wrong: run.wrong, refused: run.refused }).toEqual(KNOWN_FAILURES)
    expect(
      quotedNumbers(
        README,
        /passes (\d+) of (\d+) cases, (\d+) wrong and (\d+) in (\d+) schemas it cannot compile/,
      ),
    ).toEqual([run.passed, totalOf(run), run.wrong.length, refusedOf(run), schemasOf(run)])
  })

  it.runIf(present)('strict ajv alone answers wrong only where the engine limits step in', () => {
    const run = runSuite(suite!, strict)
    report(`official ${DRAFT}, strict`, run)
    expect(run.wrong).toEqual(STRICT_WRONG)
    expect(
      quotedNumbers(
        README,
        /Strict ajv refuses (\d+) of the suite's schemas at compile and still answers (\d+) cases wrong/,
      ),
    ).toEqual([schemasOf(run), run.wrong.length])
    for (const name of STRICT_WRONG)
      expect(name).toMatch(/^(dynamicRef|unevaluatedProperties)\.json/)
  })

  it.runIf(present)('the validators refuse some schemas at start and answer no case wrong', () => {
    const run = runSuite(suite!, validators)
    report(`official ${DRAFT}, validators`, run)
    expect(run.wrong).toEqual([])
    expect(
      quotedNumbers(
        README,
        /it refuses (\d+) schemas at start and gets the other (\d+) cases right/,
      ),
    ).toEqual([schemasOf(run), run.passed])
  })

  it.runIf(present)('the engine limits refuse only the shapes the engine gets wrong', () => {
    const limited = runSuite(suite!, setUp(lax, engineLimit))
    const plain = runSuite(suite!, engine)
    report(`official ${DRAFT}, engine with limits`, limited)
    // Every wrong answer left is one the request validator makes moot (an own __proto__ is
    // refused in any body) or a custom meta-schema, which route schemas cannot declare.
    expect(limited.wrong).toEqual([
      'properties.json: properties whose names are Javascript object property names / __proto__ not valid',
      'vocabulary.json: schema that uses custom metaschema with with no validation vocabulary / no validation: invalid number, but it still validates',
    ])
    const newlyRefused = Object.keys(limited.refused).filter((g) => !(g in plain.refused))
    const cost = newlyRefused.reduce((n, g) => n + limited.refused[g]!, 0)
    process.stdout.write(
      `engine limits refuse ${newlyRefused.length} more schemas (${cost} cases)\n`,
    )
    expect(plain.passed - limited.passed).toBeLessThan(cost)
  })
})
