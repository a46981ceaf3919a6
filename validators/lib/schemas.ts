/**
 * Compiles an upstream's OpenAPI document into what the validators check at run time: the
 * route table (the same one the edge uses) and, per operation, ajv validators for each
 * request body media type and for each declared response status and media type.
 * Everything compiles once at start; a schema ajv cannot compile strictly stops the start
 * with a message naming the operation. Request bodies compile in the request direction and
 * responses in the response direction (`readOnly` / `writeOnly`, read-write-only.ts).
 */
import type { ValidateFunction } from 'ajv'
import { compileRoutes, isObject, type OpenApiDocument, type RouteTable } from '../../core/index.js'
import { isJsonMediaType } from './media.js'
import type { Direction } from './read-write-only.js'
import { createSchemaCompiler } from './schema-compiler.js'
import { deref, SchemaError } from './schema-walk.js'
import { compileFormBody, FORM_MEDIA_TYPE, type FormBody } from './request/form-body.js'
import {
  compileMultipartBody,
  MULTIPART_MEDIA_TYPE,
  type MultipartBody,
} from './request/multipart-body.js'

/** Media type (lowercase content key) -> validator, or undefined when it has no JSON schema. */
export type ContentSchemas = Map<string, ValidateFunction | undefined>

export interface OperationSchemas {
  operation: string
  /** Request body media types; empty when the operation takes no body. */
  request: ContentSchemas
  /** Readers of the request's form bodies (form-body.ts), by media type key. */
  forms: Map<string, FormBody>
  /** Readers of the request's multipart bodies (multipart-body.ts), by media type key. */
  multiparts: Map<string, MultipartBody>
  /** Keyed by `200`, `2XX` or `DEFAULT`. */
  responses: Map<string, ContentSchemas>
}

export interface HostSchemas {
  host: string
  routes: RouteTable
  operations: Map<string, OperationSchemas>
}

export function compileHost(host: string, doc: OpenApiDocument): HostSchemas {
  const routes = compileRoutes(host, doc)
  const compile = createSchemaCompiler(host, doc)
  const contentOf = (value: unknown, where: string, direction: Direction): ContentSchemas => {
    const out: ContentSchemas = new Map()
    if (value === undefined) return out
    if (!isObject(value))
      throw new SchemaError(where, 'content must be an object', 'OPENAPI_INVALID')
    for (const [type, media] of Object.entries(value)) {
      const key = type.toLowerCase()
      const schema = isObject(media) ? media.schema : undefined
      const essence = key.split(';')[0]!.trim()
      out.set(
        key,
        schema !== undefined && isJsonMediaType(essence)
          ? compile(schema, `${where} ${key}`, direction)
          : undefined,
      )
    }
    return out
  }

  const operations = new Map<string, OperationSchemas>()
  for (const route of routes.routes) {
    const where = `openapi ${host} ${route.method} ${route.template}`
    if (operations.has(route.operation)) {
      throw new SchemaError(
        where,
        `operation ${route.operation} is declared twice`,
        'OPENAPI_INVALID',
      )
    }
    const op = doc.paths![route.template]![route.method.toLowerCase()] as Record<string, unknown>
    const body =
      op.requestBody === undefined ? undefined : deref(doc, op.requestBody, `${where} requestBody`)
    const responses = new Map<string, ContentSchemas>()
    if (!isObject(op.responses))
      throw new SchemaError(where, 'responses must be declared', 'OPENAPI_INVALID')
    for (const [status, value] of Object.entries(op.responses)) {
      if (status.startsWith('x-')) continue
      const key = status.toUpperCase()
      if (!/^(?:[1-5][0-9][0-9]|[1-5]XX|DEFAULT)$/.test(key)) {
        throw new SchemaError(where, `response key ${status} is not a status`, 'OPENAPI_INVALID')
      }
      const response = deref(doc, value, `${where} ${status}`)
      responses.set(key, contentOf(response.content, `${where} response ${status}`, 'response'))
    }
    const forms = new Map<string, FormBody>()
    const multiparts = new Map<string, MultipartBody>()
    if (body && isObject(body.content)) {
      for (const [type, media] of Object.entries(body.content)) {
        const key = type.toLowerCase()
        const essence = key.split(';')[0]!.trim()
        if (!isObject(media) || media.schema === undefined) continue
        const at = `${where} request ${key}`
        if (essence === FORM_MEDIA_TYPE) forms.set(key, compileFormBody(doc, media, compile, at))
        if (essence === MULTIPART_MEDIA_TYPE) {
          multiparts.set(key, compileMultipartBody(doc, media, compile, at))
        }
      }
    }
    operations.set(route.operation, {
      operation: route.operation,
      request: contentOf(body?.content, `${where} request`, 'request'),
      forms,
      multiparts,
      responses,
    })
  }
  return { host, routes, operations }
}

export function compileHosts(docs: Record<string, OpenApiDocument>): Record<string, HostSchemas> {
  const out: Record<string, HostSchemas> = {}
  for (const [host, doc] of Object.entries(docs)) out[host] = compileHost(host, doc)
  return out
}

/** The declared content of a status: exact code first, then its range, then `default`. */
export function responseContent(op: OperationSchemas, status: number): ContentSchemas | undefined {
  return (
    op.responses.get(String(status)) ??
    op.responses.get(`${Math.floor(status / 100)}XX`) ??
    op.responses.get('DEFAULT')
  )
}

/**
 * The first schema error as `<instance path> <message>`, e.g. `/quantity must be <= 1000`.
 * Anything outside printable ASCII (a client's own property names end up in the path) is
 * replaced, so the text is safe in a header and a log line.
 */
export function describeViolation(validate: ValidateFunction): string {
  const err = validate.errors?.[0]
  if (!err) return '/ is invalid'
  const text = `${err.instancePath || '/'} ${err.message ?? 'is invalid'}`
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)
}
