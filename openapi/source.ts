/**
 * Reads one YAML or JSON file into plain data, strictly: whatever two readers could read
 * differently, or whatever a JSON document cannot hold, is refused with the file, line and
 * column, instead of being resolved one way.
 *
 * - A key given twice in one mapping (YAML's own check compares values, so `200` and `'200'`
 *   are checked again as the text the document will have).
 * - A merge key (`<<`): YAML 1.1 only; 1.2 readers take it as a key called `<<`.
 * - A tag (`!!binary`, `!!timestamp`, `!custom`) that is not one of YAML 1.2's core schema,
 *   a key that is not a scalar, a number that is not finite (`.inf`, `.nan`), several
 *   documents in one file, an alias to a node that contains it.
 * - More than `MAX_VALUES` values once aliases are expanded (a "billion laughs" file), or
 *   collections nested deeper than `MAX_NESTING`.
 *
 * Keys keep the text they are written with (`200:` is the key `"200"`, `1.10:` is `"1.10"`),
 * as a JSON document would spell them. A `.json` file must be JSON (`JSON.parse` judges its
 * syntax first); then it is read by the same walk, so its duplicate keys are refused too.
 */
import { extname, relative, isAbsolute } from 'node:path'
import { SetupError } from '../core/index.js'
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
} from 'yaml'

/** Values (scalars, mappings and sequences) one file may expand to. */
export const MAX_VALUES = 5_000_000
/** Mappings and sequences one inside the other. */
export const MAX_NESTING = 256

/** A file named for a person: relative to the working folder when it is below it. */
export function shownPath(file: string): string {
  const rel = relative(process.cwd(), file)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file
}

/**
 * A file that cannot be read as data, with where in it: OPENAPI_INVALID (the config loader
 * reports its own file's as CONFIG_INVALID).
 */
export class SourceError extends SetupError {
  declare readonly file: string
  readonly line: number | undefined
  readonly column: number | undefined
  constructor(file: string, reason: string, line?: number, column?: number) {
    super(
      'OPENAPI_INVALID',
      `${shownPath(file)}${line === undefined ? '' : `:${line}:${column ?? 1}`}: ${reason}`,
      { file },
    )
    this.name = 'SourceError'
    this.line = line
    this.column = column
  }
}

const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
)

/** The JSON syntax error's place, from V8's `... at position N` (Node 20). */
function jsonErrorOffset(message: string): number | undefined {
  const m = /at position (\d+)/.exec(message)
  return m ? Number(m[1]) : undefined
}

/**
 * Parses `text` (the contents of `file`) into plain data. `.json` files are JSON, anything
 * else YAML 1.2.
 */
export function readSource(file: string, text: string): unknown {
  const lines = new LineCounter()
  const at = (offset: number | undefined): [number, number] | [] => {
    if (offset === undefined) return []
    const { line, col } = lines.linePos(offset)
    return [line, col]
  }
  const json = extname(file).toLowerCase() === '.json'
  if (json) {
    try {
      JSON.parse(text)
    } catch (e) {
      // The line counter is filled by the YAML parse below; count here for the JSON error.
      const offset = jsonErrorOffset((e as Error).message)
      const before = offset === undefined ? undefined : text.slice(0, offset).split('\n')
      throw new SourceError(
        file,
        `invalid JSON: ${(e as Error).message}`,
        before?.length,
        before ? before[before.length - 1]!.length + 1 : undefined,
      )
    }
  }
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    merge: false,
    resolveKnownTags: false,
    strict: true,
    version: '1.2',
    schema: 'core',
  })
  const problem = doc.errors[0] ?? doc.warnings[0]
  if (problem) {
    throw new SourceError(file, firstLine(problem.message), ...at(problem.pos[0]))
  }
  return toData(doc, file, (offset) => at(offset))
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
}

function toData(
  doc: Document.Parsed,
  file: string,
  at: (offset: number | undefined) => [number, number] | [],
): unknown {
  const ancestors = new Set<Node>()
  const fail = (node: Node | null | undefined, reason: string): never => {
    throw new SourceError(file, reason, ...at(node?.range?.[0]))
  }

  // The size once aliases are expanded, counted on the tree (each node once) before any copy.
  const sizes = new Map<Node, number>()
  const sizing = new Set<Node>()
  const sizeOf = (node: Node | null): number => {
    if (node === null) return 1
    const target = isAlias(node) ? node.resolve(doc) : node
    if (!target || sizing.has(target)) return 1 // the conversion names the alias
    const known = sizes.get(target)
    if (known !== undefined) return known
    sizing.add(target)
    let n = 1
    if (isSeq(target)) for (const item of target.items) n += sizeOf(item as Node | null)
    if (isMap(target)) for (const pair of target.items) n += sizeOf(pair.value as Node | null)
    sizing.delete(target)
    sizes.set(target, Math.min(n, MAX_VALUES + 1))
    return Math.min(n, MAX_VALUES + 1)
  }
  if (sizeOf(doc.contents as Node | null) > MAX_VALUES) {
    fail(doc.contents as Node, `expands to more than ${MAX_VALUES} values (through its aliases)`)
  }

  const convert = (node: Node | null): unknown => {
    if (node === null) return null
    if (isAlias(node)) {
      const target = node.resolve(doc)
      if (!target) return fail(node, `alias *${node.source} has no anchor`)
      if (ancestors.has(target)) {
        return fail(node, `alias *${node.source} refers to a node that contains it`)
      }
      return convert(target)
    }
    if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
      fail(node, `tag ${node.tag} is not supported (YAML 1.2 core schema only)`)
    }
    if (isScalar(node)) {
      const v = node.value
      if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) fail(node, `${node.source} is not a JSON number`)
        return v
      }
      return fail(node, 'a value of an unsupported type')
    }
    if (ancestors.size >= MAX_NESTING) fail(node, `is nested deeper than ${MAX_NESTING}`)
    ancestors.add(node)
    try {
      if (isSeq(node)) return node.items.map((item) => convert(item as Node | null))
      if (isMap(node)) {
        const out: Record<string, unknown> = {}
        for (const pair of node.items) {
          const key = pair.key as Node | null
          if (!isScalar(key)) return fail(key ?? node, 'a mapping key must be a plain scalar')
          if (key.type === 'PLAIN' && key.source === '<<') {
            fail(key, 'merge keys (<<) are not supported: write the keys out, or use $ref')
          }
          const name = typeof key.value === 'string' ? key.value : String(key.source)
          if (Object.hasOwn(out, name)) fail(key, `duplicate key ${JSON.stringify(name)}`)
          // `__proto__` as an own property, as JSON.parse makes it, never the prototype.
          Object.defineProperty(out, name, {
            value: convert(pair.value as Node | null),
            enumerable: true,
            writable: true,
            configurable: true,
          })
        }
        return out
      }
      return fail(node, 'an unsupported YAML node')
    } finally {
      ancestors.delete(node)
    }
  }
  return convert(doc.contents as Node | null)
}
