import { describe, expect, it } from 'vitest'
import {
  checkBodyMediaType,
  checkPort,
  compileRoutes,
  GatewayError,
  parseMediaType,
  requiredClaimsCheck,
  resolveRoute,
} from '../index.js'
import { RULE_CASES, RULES_DOCUMENT, RULES_HOST, type RuleOutcome } from './rules.cases.js'

const table = compileRoutes(RULES_HOST, RULES_DOCUMENT)
const requireClaims = requiredClaimsCheck()

/** The shared rules in the edge's order; the first refusal is the outcome. */
function outcomeOf(r: (typeof RULE_CASES)[number][1]): RuleOutcome {
  try {
    checkPort(r.port, r.deployment)
    const { route } = resolveRoute(table, r.method, r.path, r.port)
    if (r.body !== undefined) checkBodyMediaType(route.mediaTypes, r.contentType)
    requireClaims(route.requiredClaims, r.claims)
    return 'pass'
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e
    const allow = e.headers?.Allow
    return allow === undefined
      ? { code: e.code, status: e.status }
      : { code: e.code, status: e.status, allow }
  }
}

describe('the shared rules, run by core itself', () => {
  it.each(RULE_CASES)('%s', (_, request, outcome) => {
    expect(outcomeOf(request)).toEqual(outcome)
  })
})

describe('declared media types', () => {
  it('RULE-060 a document declaring two content keys of one type, or one that is not a media type, stops the start', () => {
    const doc = (content: Record<string, unknown>) => ({
      openapi: '3.1.0',
      paths: { '/a': { post: { operationId: 'a', requestBody: { content } } } },
    })
    expect(() =>
      compileRoutes('h', doc({ 'application/json': {}, 'Application/JSON; charset=utf-8': {} })),
    ).toThrow(/content key application\/json is declared twice/)
    expect(() => compileRoutes('h', doc({ json: {} }))).toThrow(/"json" is not a media type/)
    expect(() => compileRoutes('h', doc({ '*/json': {} }))).toThrow(/not a media range/)
  })
})

describe('reading a media type', () => {
  it.each([
    'application/json; __proto__=x',
    'application/json; charset = utf-8',
    'application/json\r\n; charset=utf-8',
    'application/json; charset=utf-8\n',
    'application/json; charset="utf-8"x',
    'application/json; charset="utf\\',
    'application/json; charset=',
    '/json',
    'application/',
    'appli cation/json',
    'application/json/x',
  ])('RULE-061 %j cannot be read, so a body with it is 415', (value) => {
    expect(parseMediaType(value)).toBeUndefined()
    expect(() => checkBodyMediaType(['*/*'], value)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }),
    )
  })

  it('reads quoted values with escapes, empty parameters and surrounding spaces', () => {
    expect(parseMediaType(' Text/Plain ;; a="x\\"y" ; b=""; ')).toEqual({
      essence: 'text/plain',
      type: 'text',
      subtype: 'plain',
      params: { a: 'x"y', b: '' },
    })
  })
})
