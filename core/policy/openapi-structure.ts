/**
 * OpenAPI's structure as data: the kinds of object a document holds, where each kind holds
 * further objects, and which keys of a path item are operations. One table for every walk
 * over a document (the extension check here, the bundler in openapi/), so no two of them
 * can disagree on what a key is.
 */
import type { ExtensionPlace } from './extensions.js'

/** The kinds of OpenAPI object the walk tells apart. */
export type OpenApiKind =
  | ExtensionPlace
  | 'paths'
  | 'components'
  | 'request body'
  | 'media type'
  | 'encoding'
  | 'responses'
  | 'response'
  | 'header'
  | 'callback'
  | 'link'
  | 'example'
  | 'reference'
  | 'security scheme'
  | 'other object'

export type OpenApiChild = OpenApiKind | { map: OpenApiKind } | { list: OpenApiKind }

/** Operation keys of a path item (OpenAPI's, whether or not the gateway carries the method). */
export const OPERATION_KEYS: readonly string[] = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
  'query',
]

/** Where each kind holds further OpenAPI objects (everything else is data or plain fields). */
export const OPENAPI_CHILDREN: Partial<Record<OpenApiKind, Record<string, OpenApiChild>>> = {
  document: {
    info: 'other object',
    servers: { list: 'other object' },
    paths: 'paths',
    webhooks: { map: 'path item' },
    components: 'components',
    tags: { list: 'other object' },
    externalDocs: 'other object',
  },
  'path item': {
    parameters: { list: 'parameter' },
    servers: { list: 'other object' },
  },
  operation: {
    parameters: { list: 'parameter' },
    requestBody: 'request body',
    responses: 'responses',
    callbacks: { map: 'callback' },
    servers: { list: 'other object' },
    externalDocs: 'other object',
  },
  parameter: { schema: 'schema', content: { map: 'media type' }, examples: { map: 'example' } },
  header: { schema: 'schema', content: { map: 'media type' }, examples: { map: 'example' } },
  'request body': { content: { map: 'media type' } },
  'media type': { schema: 'schema', encoding: { map: 'encoding' }, examples: { map: 'example' } },
  encoding: { headers: { map: 'header' } },
  response: {
    headers: { map: 'header' },
    content: { map: 'media type' },
    links: { map: 'link' },
  },
  components: {
    schemas: { map: 'schema' },
    responses: { map: 'response' },
    parameters: { map: 'parameter' },
    examples: { map: 'example' },
    requestBodies: { map: 'request body' },
    headers: { map: 'header' },
    securitySchemes: { map: 'security scheme' },
    links: { map: 'link' },
    callbacks: { map: 'callback' },
    pathItems: { map: 'path item' },
  },
  'security scheme': { flows: 'other object' },
  link: { server: 'other object' },
  schema: { discriminator: 'other object', xml: 'other object', externalDocs: 'other object' },
}
