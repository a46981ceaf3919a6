/**
 * The one ajv set-up both validators use. Strict (a schema ajv would silently misread is a
 * start error), `$data` off (regex DoS), first error only (no `allErrors` on untrusted input),
 * and `pattern` / `patternProperties` run on re2js: time linear in the input whatever the
 * document's patterns (a pattern RE2 cannot run, a backreference or a lookahead, stops the
 * start). Properties count only when the data has them itself, never through its prototype.
 * `type: integer` also refuses a non-canonical spelling in request bodies (integer-spelling.ts).
 */
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { Options } from 'ajv'
import type { RegExpEngine } from 'ajv/dist/types/index.js'
import addFormats from 'ajv-formats'
import { RE2JS } from 're2js'
import { integerSpelling } from './integer-spelling.js'
import { forbiddenMember } from './read-write-only.js'

/** ajv's regular-expression hook: compile with re2js, test like a RegExp. */
const re2: RegExpEngine = Object.assign((pattern: string) => RE2JS.compile(pattern), {
  code: 're2js',
})

/** OpenAPI keywords that annotate a schema and never constrain data. */
export const OPENAPI_ANNOTATIONS = ['example', 'discriminator', 'xml', 'externalDocs'] as const

/** `overrides` exist for the conformance run, which measures the engine without the lint. */
export function createAjv(overrides: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: false,
    $data: false,
    // `type: ["string", "null"]` is how OpenAPI 3.1 spells a nullable value.
    allowUnionTypes: true,
    // Without it `required: ["constructor"]` is met by every object (the prototype has one).
    ownProperties: true,
    validateFormats: true,
    messages: true,
    code: { regExp: re2 },
    ...overrides,
  })
  // ajv-formats also knows OpenAPI's int32, int64, float, double, byte, binary and password.
  addFormats(ajv)
  ajv.addVocabulary([...OPENAPI_ANNOTATIONS])
  ajv.addKeyword(integerSpelling)
  // A `readOnly` member of a request, a `writeOnly` one of a response (read-write-only.ts).
  ajv.addKeyword(forbiddenMember)
  return ajv
}
