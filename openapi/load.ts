/**
 * `loadOpenApi(path)`: an upstream's OpenAPI document as the operator has it (YAML or JSON,
 * one file or many) turned into the one self-contained document the route table and the
 * validators read, with the list of files it was made from.
 */
import type { OpenApiDocument } from '../core/index.js'
import { bundle } from './bundle.js'
import { FileStore, OpenApiError } from './refs.js'
import { isObject } from '../core/index.js'

export interface LoadedOpenApi {
  document: OpenApiDocument
  /** Absolute paths of every file read, the root document first. */
  files: string[]
}

/** The JSON Schema dialect OpenAPI 3.1 schemas have unless the document says otherwise. */
const OAS31_DIALECT = 'https://spec.openapis.org/oas/3.1/dialect/base'

/** Refuses what is not an OpenAPI 3.0 or 3.1 document, before any reference is followed. */
function checkVersion(file: string, doc: unknown): void {
  const fail = (pointer: string, reason: string): never => {
    throw new OpenApiError(file, pointer, reason)
  }
  if (!isObject(doc)) return fail('', 'is not an OpenAPI document (not a mapping)')
  if (doc.swagger !== undefined) {
    fail(
      '/swagger',
      `Swagger ${String(doc.swagger)} is not supported: convert the document to OpenAPI 3 first`,
    )
  }
  const version = doc.openapi
  if (typeof version !== 'string') {
    return fail('/openapi', 'is not an OpenAPI 3 document: `openapi: 3.x.y` is missing')
  }
  if (!/^3\.[01]\.\d+$/.test(version)) {
    fail('/openapi', `OpenAPI ${version} is not supported (3.0.x and 3.1.x are)`)
  }
  const dialect = doc.jsonSchemaDialect
  if (dialect !== undefined && dialect !== OAS31_DIALECT) {
    fail(
      '/jsonSchemaDialect',
      `schemas are read as OpenAPI 3.1's dialect (JSON Schema 2020-12); ${String(dialect)} is not supported`,
    )
  }
}

/**
 * Reads the document at `path` and every file its references name. Throws `OpenApiError`
 * (file and JSON pointer, or file, line and column) on anything it cannot read exactly.
 */
export function loadOpenApi(path: string): LoadedOpenApi {
  const store = new FileStore(path)
  try {
    checkVersion(store.root, store.read(store.root))
    const { document } = bundle(store)
    return { document: document as OpenApiDocument, files: [...store.files] }
  } catch (e) {
    if (e instanceof OpenApiError) e.files = [...store.files]
    throw e
  }
}
