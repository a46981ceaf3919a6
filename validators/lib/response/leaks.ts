/**
 * Leak scanning: does text an upstream wrote contain something a client must never see (the
 * signature table in signatures.ts)? The signatures a route checks run together as one RE2
 * set: a single linear pass over the whole text. Only on a hit does the one signature run
 * again, piece by piece, to say where. The matched text itself is never returned: a finding
 * names the signature and the place, so the log and the audit trail never become a copy of
 * the secret.
 */
import { RE2JS, RE2Set } from 're2js'
import { SetupError } from '../../../core/index.js'
import { LEAK_FAMILIES, LEAK_SIGNATURES, type LeakSignature } from './signatures.js'

export interface LeakFinding {
  /** The signature id, e.g. `stack-trace/node`. */
  signature: string
  /** Where: a JSON pointer into the body (`/debug/stack`), `body`, or `header <name>`. */
  where: string
}

export interface LeakScanner {
  /** The signature ids this scanner checks, in table order. */
  readonly signatures: readonly string[]
  /** The first leak in `text`, or undefined. */
  find(text: ScanText): LeakFinding | undefined
}

const KNOWN = new Set<string>([...LEAK_FAMILIES, ...LEAK_SIGNATURES.map((s) => s.id)])

/** Whether `name` is a family (`token`) or a signature id (`token/jwt`) of the table. */
export function isLeakKind(name: string): boolean {
  return KNOWN.has(name)
}

/**
 * Memory for the set's DFA. The table builds about 2,600 states on adversarial text, near
 * re2js's default 8 MB; past the budget the cache is cleared and rebuilt (a cold scan each time).
 */
const SET_MEMORY = 32 << 20

const singles = new Map<string, RE2JS>()
function single(sig: LeakSignature): RE2JS {
  let re = singles.get(sig.id)
  if (!re) {
    re = RE2JS.compile(sig.pattern)
    singles.set(sig.id, re)
  }
  return re
}

/**
 * A scanner for every signature except the `allowed` families or ids. Throws on a name the
 * table does not know, so a typo in a policy stops the start instead of allowing nothing.
 */
export function createLeakScanner(allowed: Iterable<string> = []): LeakScanner {
  const skip = new Set(allowed)
  for (const name of skip) {
    if (!isLeakKind(name)) throw new SetupError('POLICY_INVALID', `unknown leak signature ${name}`)
  }
  const sigs = LEAK_SIGNATURES.filter((s) => !skip.has(s.family) && !skip.has(s.id))
  const set = new RE2Set(RE2Set.UNANCHORED, 0, SET_MEMORY)
  for (const s of sigs) set.add(s.pattern)
  if (sigs.length > 0) set.compile()
  return {
    signatures: sigs.map((s) => s.id),
    find(text) {
      const all = text.text()
      if (sigs.length === 0 || all.length === 0) return undefined
      const index = set.match(all)[0]
      if (index === undefined) return undefined
      const sig = sigs[index]!
      const re = single(sig)
      const piece = text.pieces.findIndex((p) => re.test(p))
      const where = piece < 0 ? text.whole : text.placeOf(piece)
      return { signature: sig.id, where: printable(where) }
    },
  }
}

type Source = { from: number; where: string } | { from: number; json: unknown; at: string }

/**
 * Characters a reader never sees (Unicode's default-ignorable code points: zero-width spaces
 * and joiners, the soft hyphen, bidirectional controls, variation selectors, the byte order
 * mark). Removed before the scan, so `10.0.0\u200b.1` is judged as the `10.0.0.1` a client's
 * screen shows. A loop, not a regular expression, as every pattern on upstream text is RE2's.
 */
function isInvisible(c: number): boolean {
  return (
    c === 0xad ||
    c === 0x34f ||
    c === 0x61c ||
    c === 0x115f ||
    c === 0x1160 ||
    c === 0x17b4 ||
    c === 0x17b5 ||
    (c >= 0x180b && c <= 0x180f) ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x206f) ||
    c === 0x3164 ||
    (c >= 0xfe00 && c <= 0xfe0f) ||
    c === 0xfeff ||
    c === 0xffa0 ||
    (c >= 0xfff0 && c <= 0xfff8)
  )
}

/** `text` without invisible characters (the same string when it has none: the usual case). */
export function visibleText(text: string): string {
  let i = 0
  const n = text.length
  while (i < n && (text.charCodeAt(i) < 0xad || !isInvisible(text.charCodeAt(i)))) i++
  if (i === n) return text
  let out = text.slice(0, i)
  for (; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xad || !isInvisible(c)) out += text[i]
  }
  return out
}

/**
 * The text to scan, piece by piece with where each piece came from: the decoded strings of a
 * JSON body (each key beside its value as `key: value`, so that signatures that need a key
 * for context see it, and with escapes like `\n` or `\u0041` already undone), the text of any
 * other body, each header as `name: value`. Pieces are joined by newlines for the scan. The
 * JSON pointer of a piece is worked out only for the piece that holds a leak.
 */
export class ScanText {
  readonly pieces: string[] = []
  private readonly sources: Source[] = []

  /** `whole` names a match that spans pieces. */
  constructor(readonly whole = 'body') {}

  add(text: string, where: string): this {
    if (text.length > 0) {
      this.sources.push({ from: this.pieces.length, where })
      this.pieces.push(visibleText(text))
    }
    return this
  }

  /**
   * Every key and string of a parsed JSON value; `at` is the JSON pointer of `value` in its
   * document (the places named are below it).
   */
  addJson(value: unknown, at = ''): this {
    this.sources.push({ from: this.pieces.length, json: value, at })
    eachPiece(value, [], (text) => {
      this.pieces.push(visibleText(text))
      return false
    })
    return this
  }

  text(): string {
    return this.pieces.join('\n')
  }

  /** Where piece `index` came from: a JSON pointer, or what `add` was told. */
  placeOf(index: number): string {
    let source: Source | undefined
    for (const s of this.sources) {
      if (s.from > index) break
      source = s
    }
    if (!source) return this.whole
    if ('where' in source) return source.where
    let n = index - source.from
    let found = this.whole
    const { at } = source
    eachPiece(source.json, [], (_text, path) => {
      if (n-- > 0) return false
      const below = path.map((p) => `/${escapePointer(String(p))}`).join('')
      found = at + below || '/'
      return true
    })
    return found
  }
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

/**
 * Visits the pieces of a JSON value in document order with the path to each (the same array,
 * changed as the walk goes: copy it to keep it). Stops when `visit` returns true.
 */
function eachPiece(
  value: unknown,
  path: Array<string | number>,
  visit: (text: string, path: ReadonlyArray<string | number>) => boolean,
): boolean {
  if (typeof value === 'string') return value.length > 0 && visit(value, path)
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i)
      const stop = eachPiece(value[i], path, visit)
      path.pop()
      if (stop) return true
    }
    return false
  }
  for (const [key, v] of Object.entries(value)) {
    path.push(key)
    const stop =
      typeof v === 'string'
        ? visit(`${key}: ${v}`, path)
        : (key.length > 0 && visit(key, path)) || eachPiece(v, path, visit)
    path.pop()
    if (stop) return true
  }
  return false
}

/** Printable ASCII, capped: a place can hold the upstream's own keys and goes to a log line. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 120)
}
