/**
 * Every OpenAPI extension Portcullis reads, in one table: its name, where in a document it
 * may appear, the shape of its value and the components that read it. Readers take the
 * names from `EXTENSIONS`, never from a string of their own.
 *
 * `checkExtensions` walks a whole document at start and refuses, naming the JSON pointer,
 * any key of ours that is not in the table (`x-portcullis-scna` would otherwise switch
 * scanning off without a word), that appears where the table does not allow it (where no
 * reader looks), or whose value does not have the table's shape. Keys of ours are the
 * `x-portcullis-*` and `x-required-claim*` families in any case or spelling (`X-Portcullis-Scan`,
 * `x_portcullis_scan`); other `x-*` keys are someone else's and pass. Data (`example`,
 * `default`, `enum`, `const`) and name maps (`properties`, `components.schemas`) are names
 * and values, not extensions, and are not looked into as such.
 *
 * Pure and plain (no ajv): it runs in Node and in workerd alike.
 */
import { parseClaims } from '../claims/index.js'
import { SetupError } from '../errors/index.js'
import { readRateLimit } from './rate-limit.js'
import { UNDECLARED_FIELDS_POLICIES } from './response-validation.js'
import { LIST, MAP, ONE, isSchemaObject } from './schema-keywords.js'
import type { JsonLimits } from './validation.js'
import {
  OPENAPI_CHILDREN as CHILDREN,
  OPERATION_KEYS,
  type OpenApiChild as Child,
  type OpenApiKind as Kind,
} from './openapi-structure.js'
import { isObject } from '../util/index.js'

export const EXTENSIONS = {
  ports: 'x-portcullis-ports',
  maxBodyBytes: 'x-portcullis-max-body-bytes',
  requiredClaims: 'x-required-claims',
  rateLimit: 'x-portcullis-rate-limit',
  scan: 'x-portcullis-scan',
  paranoia: 'x-portcullis-paranoia',
  allowUnknownQuery: 'x-portcullis-allow-unknown-query',
  jsonLimits: 'x-portcullis-json-limits',
  undeclaredFields: 'x-portcullis-undeclared-fields',
  allowLeaks: 'x-portcullis-allow-leaks',
  userData: 'x-portcullis-user-data',
} as const

export type ExtensionKey = keyof typeof EXTENSIONS
export type ExtensionName = (typeof EXTENSIONS)[ExtensionKey]

/** The places of a document an extension may sit on. */
export const EXTENSION_PLACES = [
  'document',
  'path item',
  'operation',
  'parameter',
  'schema',
] as const
export type ExtensionPlace = (typeof EXTENSION_PLACES)[number]

export type ExtensionReader = 'edge' | 'request validator' | 'response validator'

export interface ExtensionSpec {
  name: ExtensionName
  places: readonly ExtensionPlace[]
  /** The components whose decisions it changes (the single-validation backend runs both validators). */
  readers: readonly ExtensionReader[]
  /** The value's shape, for people. */
  shape: string
  /** Undefined when the value has the shape, else what is wrong with it. */
  check(value: unknown): string | undefined
}

/** CRS paranoia levels (`x-portcullis-paranoia`). */
export const PARANOIA_LEVELS = [1, 2, 3, 4] as const

const JSON_LIMIT_KEYS: ReadonlyArray<keyof JsonLimits> = [
  'maxDepth',
  'maxStringLength',
  'maxArrayLength',
  'maxObjectKeys',
]

function nonEmptyNames(value: unknown, what: string): string | undefined {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((v) => typeof v === 'string' && v.length > 0) ||
    new Set(value).size !== value.length
  ) {
    return `must be a non-empty list of distinct ${what}`
  }
  return undefined
}

export const EXTENSION_TABLE: { readonly [K in ExtensionKey]: ExtensionSpec } = {
  ports: {
    name: EXTENSIONS.ports,
    places: ['operation'],
    readers: ['edge', 'request validator'],
    shape: 'a non-empty list of ports (1 to 65535)',
    check: (v) =>
      Array.isArray(v) && v.length > 0 && v.every((p) => Number.isInteger(p) && p > 0 && p < 65536)
        ? undefined
        : 'must be a list of ports',
  },
  maxBodyBytes: {
    name: EXTENSIONS.maxBodyBytes,
    places: ['operation'],
    readers: ['edge', 'request validator'],
    shape: 'a byte count (a non-negative integer)',
    check: (v) =>
      Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'must be a byte count',
  },
  requiredClaims: {
    name: EXTENSIONS.requiredClaims,
    places: ['operation'],
    readers: ['edge', 'request validator'],
    shape: 'a claims expression (core/claims)',
    check: (v) => {
      if (typeof v !== 'string') return 'must be a string'
      try {
        parseClaims(v)
        return undefined
      } catch (e) {
        return `is not a claims expression: ${(e as Error).message}`
      }
    },
  },
  rateLimit: {
    name: EXTENSIONS.rateLimit,
    places: ['operation'],
    readers: ['edge'],
    shape: '{ limit, period: 10 | 60, quota?: { limit, period, key?: subject | claim:<path> } }',
    check: (v) => {
      try {
        readRateLimit(v, '')
        return undefined
      } catch (e) {
        const reason = e instanceof SetupError ? e.message : String(e)
        return `is not a rate limit: ${reason.replace(/^.*?x-portcullis-rate-limit: /, '')}`
      }
    },
  },
  scan: {
    name: EXTENSIONS.scan,
    places: ['operation'],
    readers: ['request validator'],
    shape: 'a non-empty list of injection class names (the request validator checks the names)',
    check: (v) => nonEmptyNames(v, 'injection class names'),
  },
  paranoia: {
    name: EXTENSIONS.paranoia,
    places: ['operation'],
    readers: ['request validator'],
    shape: 'a CRS paranoia level, 1 to 4',
    check: (v) =>
      (PARANOIA_LEVELS as readonly unknown[]).includes(v) ? undefined : 'must be 1, 2, 3 or 4',
  },
  allowUnknownQuery: {
    name: EXTENSIONS.allowUnknownQuery,
    places: ['operation'],
    readers: ['request validator'],
    shape: 'true or false',
    check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  },
  jsonLimits: {
    name: EXTENSIONS.jsonLimits,
    places: ['operation'],
    readers: ['request validator'],
    shape: '{ maxDepth?, maxStringLength?, maxArrayLength?, maxObjectKeys? } (counts)',
    check: (v) => {
      if (!isObject(v)) return 'must be an object'
      for (const [key, n] of Object.entries(v)) {
        if (!(JSON_LIMIT_KEYS as readonly string[]).includes(key))
          return `has an unknown key ${key}`
        if (!Number.isSafeInteger(n) || (n as number) < 0) return `${key} must be a count`
      }
      return undefined
    },
  },
  undeclaredFields: {
    name: EXTENSIONS.undeclaredFields,
    places: ['operation'],
    readers: ['response validator'],
    shape: UNDECLARED_FIELDS_POLICIES.join(' | '),
    check: (v) =>
      (UNDECLARED_FIELDS_POLICIES as readonly unknown[]).includes(v)
        ? undefined
        : `must be one of ${UNDECLARED_FIELDS_POLICIES.join(', ')}`,
  },
  allowLeaks: {
    name: EXTENSIONS.allowLeaks,
    places: ['operation'],
    readers: ['response validator'],
    shape: 'a list of leak families or signature ids (the response validator checks the names)',
    check: (v) =>
      Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0)
        ? undefined
        : 'must be a list of leak families or signature ids',
  },
  userData: {
    name: EXTENSIONS.userData,
    places: ['schema'],
    readers: ['request validator', 'response validator'],
    shape: 'true: the field holds what a client wrote',
    check: (v) => (v === true ? undefined : 'must be true'),
  },
}

const BY_NAME: ReadonlyMap<string, ExtensionSpec> = new Map(
  Object.values(EXTENSION_TABLE).map((spec) => [spec.name, spec]),
)

/** The table's entry for `name`, exactly as spelled. */
export function extensionSpec(name: string): ExtensionSpec | undefined {
  return BY_NAME.get(name)
}

/**
 * True for a key of ours, however spelled: `x-portcullis-*` and `x-required-claim*` with any
 * case and any separators (or none) between the words.
 */
export function isPortcullisExtensionKey(key: string): boolean {
  const folded = key.toLowerCase().replace(/[^a-z0-9]/g, '')
  return folded.startsWith('xportcullis') || folded.startsWith('xrequiredclaim')
}

export interface ExtensionProblem {
  /** RFC 6901 pointer to the offending key. */
  pointer: string
  /** `METHOD /template` when the key is on or inside an operation. */
  operation?: string
  key: string
  problem: string
}

/** A document refused at start (POLICY_INVALID); `pointer` names the key. */
export class ExtensionError extends SetupError {
  readonly pointer: string
  readonly problems: readonly ExtensionProblem[]
  constructor(host: string, problems: readonly ExtensionProblem[]) {
    const first = problems[0]!
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
    super(
      'POLICY_INVALID',
      `openapi ${host}${first.operation ? ` ${first.operation}` : ''}: ${first.key} ${first.problem} at ${first.pointer}${more}`,
    )
    this.name = 'ExtensionError'
    this.pointer = first.pointer
    this.problems = problems
  }
}

/** Refuses the document with every problem `extensionProblems` finds; the first is named. */
export function checkExtensions(host: string, doc: unknown): void {
  const problems = extensionProblems(doc)
  if (problems.length > 0) throw new ExtensionError(host, problems)
}

/** At most this many problems are reported; the first is what the error names. */
const MAX_PROBLEMS = 20
/** A document nested deeper than this is refused (no legitimate one comes close). */
const MAX_NESTING = 256

/** Kinds a Reference object (`{ $ref }`) may stand for; its siblings are never read. */
const REFERABLE: ReadonlySet<Kind> = new Set<Kind>([
  'parameter',
  'request body',
  'response',
  'header',
  'example',
  'link',
  'callback',
  'security scheme',
])

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

/** Every key of ours in `doc` that is unknown, misplaced or of the wrong shape. */
export function extensionProblems(doc: unknown): ExtensionProblem[] {
  const problems: ExtensionProblem[] = []
  const report = (p: ExtensionProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p)
  }

  const visit = (node: unknown, kind: Kind, pointer: string, depth: number, op?: string) => {
    if (!isObject(node) || problems.length >= MAX_PROBLEMS) return
    if (depth > MAX_NESTING) {
      report({ pointer, key: '(document)', problem: `is nested deeper than ${MAX_NESTING}` })
      return
    }
    // A reference object stands for its target, which is checked where it is declared.
    const here: Kind = REFERABLE.has(kind) && typeof node.$ref === 'string' ? 'reference' : kind
    const children = here === 'reference' ? undefined : CHILDREN[here]
    for (const [key, value] of Object.entries(node)) {
      const at = `${pointer}/${escapePointer(key)}`
      if (isPortcullisExtensionKey(key)) {
        checkKey(key, value, here, at, op)
        continue
      }
      if (key.startsWith('x-')) continue
      const child = children?.[key]
      if (here === 'paths' && key.startsWith('/')) {
        visit(value, 'path item', at, depth + 1, undefined)
      } else if (here === 'path item' && OPERATION_KEYS.includes(key)) {
        visit(value, 'operation', at, depth + 1, `${key.toUpperCase()} ${pathOf(pointer)}`)
      } else if (here === 'responses' || here === 'callback') {
        visit(value, here === 'responses' ? 'response' : 'path item', at, depth + 1, op)
      } else if (here === 'schema' && (ONE.has(key) || LIST.has(key) || MAP.has(key))) {
        visitSchemas(key, value, at, depth, op)
      } else if (child !== undefined) {
        visitChild(child, value, at, depth, op)
      }
    }
  }

  const visitChild = (child: Child, value: unknown, at: string, depth: number, op?: string) => {
    if (typeof child === 'string') return visit(value, child, at, depth + 1, op)
    if ('list' in child) {
      if (!Array.isArray(value)) return
      value.forEach((v, i) => visit(v, child.list, `${at}/${i}`, depth + 1, op))
      return
    }
    if (!isObject(value)) return
    // A map's keys are names (a component may be called `x-anything`), never extensions.
    for (const [name, v] of Object.entries(value)) {
      visit(v, child.map, `${at}/${escapePointer(name)}`, depth + 1, op)
    }
  }

  const visitSchemas = (key: string, value: unknown, at: string, depth: number, op?: string) => {
    if (ONE.has(key) && !Array.isArray(value)) return visit(value, 'schema', at, depth + 1, op)
    if ((LIST.has(key) || ONE.has(key)) && Array.isArray(value)) {
      // `items` as a list is the draft-04 tuple form OpenAPI 3.0 tools still write.
      value.forEach((v, i) => visit(v, 'schema', `${at}/${i}`, depth + 1, op))
      return
    }
    if (MAP.has(key) && isSchemaObject(value)) {
      for (const [name, v] of Object.entries(value)) {
        if (isSchemaObject(v)) visit(v, 'schema', `${at}/${escapePointer(name)}`, depth + 1, op)
      }
    }
  }

  const checkKey = (key: string, value: unknown, kind: Kind, pointer: string, op?: string) => {
    const spec = extensionSpec(key)
    const where = op === undefined ? {} : { operation: op }
    if (!spec) {
      report({ pointer, key, problem: 'is not an extension Portcullis knows', ...where })
    } else if (!(spec.places as readonly string[]).includes(kind)) {
      report({
        pointer,
        key,
        problem: `may appear only on: ${spec.places.join(', ')} (found on: ${kind})`,
        ...where,
      })
    } else {
      const problem = spec.check(value)
      if (problem !== undefined) report({ pointer, key, problem, ...where })
    }
  }

  visit(doc, 'document', '', 0)
  return problems
}

/** `/paths/~1orders~1{id}` -> `/orders/{id}`. */
function pathOf(pointer: string): string {
  const last = pointer.slice(pointer.lastIndexOf('/') + 1)
  return last.replaceAll('~1', '/').replaceAll('~0', '~')
}
