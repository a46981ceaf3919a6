/**
 * The one ajv set-up both validators use. Strict (a schema ajv would silently misread is a
 * start error), `$data` off (regex DoS), first error only (no `allErrors` on untrusted input).
 */
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

/** OpenAPI keywords that annotate a schema and never constrain data. */
export const OPENAPI_ANNOTATIONS = ['example', 'discriminator', 'xml', 'externalDocs'] as const

export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: false,
    $data: false,
    // `type: ["string", "null"]` is how OpenAPI 3.1 spells a nullable value.
    allowUnionTypes: true,
    validateFormats: true,
    messages: true,
  })
  // ajv-formats also knows OpenAPI's int32, int64, float, double, byte, binary and password.
  addFormats(ajv)
  ajv.addVocabulary([...OPENAPI_ANNOTATIONS])
  return ajv
}
