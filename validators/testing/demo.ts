/** The demo upstream's OpenAPI document, which the validators' tests compile their hosts from. */
import { readFileSync } from 'node:fs'
import type { OpenApiDocument } from '../../core/index.js'

export const demo = JSON.parse(
  readFileSync(new URL('../../demo/openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument
