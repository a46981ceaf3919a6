/**
 * Reads a JSON text once, before `JSON.parse`, for what a schema cannot say or a parser
 * would hide: duplicate keys (`JSON.parse` keeps the last, another parser the first) and
 * lone surrogate escapes (BODY_MALFORMED); the prototype-pollution keys
 * (BODY_KEY_NOT_ALLOWED); nesting, string, array and object sizes, and numbers a double
 * cannot hold exactly: integers beyond 2^53, or beyond the double range
 * (BODY_LIMIT_EXCEEDED). Iterative, one pass, time linear in the text; the detail names
 * the JSON pointer where it stopped, never the value. It also returns the JSON pointers of
 * the integral numbers spelled with a fraction, an exponent or as `-0` (only when there are
 * any), for `type: integer` to refuse (../integer-spelling.ts).
 */
import { GatewayError, type ErrorCode, type JsonLimits } from '../../../core/index.js'

export interface JsonRules extends JsonLimits {
  forbiddenKeys: ReadonlySet<string>
  /** `lenient`: non-canonical integer spellings are not reported (../integer-spelling.ts). */
  integerSpelling?: 'strict' | 'lenient'
}

interface Frame {
  /** Keys seen so far; undefined for an array. */
  keys: Set<string> | undefined
  /** Elements or keys so far. */
  count: number
  /** The current key or index, for the pointer. */
  at: string | number
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y
const HEX4 = /^[0-9a-fA-F]{4}$/

function pointer(stack: Frame[]): string {
  if (stack.length === 0) return '/'
  return stack
    .map((f) => '/' + String(f.at).replaceAll('~', '~0').replaceAll('/', '~1'))
    .join('')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 160)
}

/** The exact JSON pointer of the current value, as ajv spells an instance path. */
function exactPointer(stack: Frame[]): string {
  let out = ''
  for (const f of stack) {
    out +=
      '/' +
      (typeof f.at === 'number' ? String(f.at) : f.at.replaceAll('~', '~0').replaceAll('/', '~1'))
  }
  return out
}

/**
 * Throws a GatewayError when `text` is not JSON within the rules. Otherwise returns the
 * pointers of the integral numbers not spelled as plain integers, or undefined when none.
 */
export function checkJsonText(text: string, rules: JsonRules): ReadonlySet<string> | undefined {
  const reader = new JsonReader(text, rules)
  reader.read()
  return reader.spelled
}

/** One pass over one text; a class so that no closure is made per body. */
class JsonReader {
  private i = 0
  private readonly n: number
  private readonly stack: Frame[] = []
  /** Pointers of integral numbers spelled `1.0`, `1e2` or `-0`; made on the first. */
  spelled: Set<string> | undefined

  constructor(
    private readonly text: string,
    private readonly rules: JsonRules,
  ) {
    this.n = text.length
  }

  read(): void {
    const { text, stack, rules } = this
    // Expect a value, then (after it) a separator or the end of its container.
    for (;;) {
      this.space()
      const c = text.charCodeAt(this.i)
      if (c === 0x7b || c === 0x5b) {
        this.open(c === 0x7b)
        this.space()
        if (text.charCodeAt(this.i) === (c === 0x7b ? 0x7d : 0x5d)) {
          this.i++
          stack.pop()
        } else {
          if (c === 0x7b) this.key()
          else if (rules.maxArrayLength < 1) {
            this.fail('BODY_LIMIT_EXCEEDED', `an array longer than ${rules.maxArrayLength}`)
          } else stack[stack.length - 1]!.count = 1
          continue
        }
      } else if (c === 0x22) this.checkLength(this.string().length)
      else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.number()
      else if (text.startsWith('true', this.i)) this.i += 4
      else if (text.startsWith('false', this.i)) this.i += 5
      else if (text.startsWith('null', this.i)) this.i += 4
      else this.fail('BODY_MALFORMED', 'invalid JSON')

      // After a value: close containers, or go on to the next element or key.
      for (;;) {
        this.space()
        const frame = stack[stack.length - 1]
        if (!frame) {
          if (this.i !== this.n) this.fail('BODY_MALFORMED', 'invalid JSON')
          return
        }
        const d = text.charCodeAt(this.i)
        if (d === 0x2c) {
          this.i++
          if (frame.keys) this.key()
          else {
            frame.at = frame.count
            if (++frame.count > rules.maxArrayLength) {
              this.fail('BODY_LIMIT_EXCEEDED', `an array longer than ${rules.maxArrayLength}`)
            }
          }
          break
        }
        if (d === (frame.keys ? 0x7d : 0x5d)) {
          this.i++
          stack.pop()
          continue
        }
        this.fail('BODY_MALFORMED', 'invalid JSON')
      }
    }
  }

  private fail(code: ErrorCode, what: string): never {
    const detail = `${what} at ${pointer(this.stack)}`
    throw new GatewayError(code, { detail, reason: detail })
  }

  private space(): void {
    const { text, n } = this
    while (this.i < n) {
      const c = text.charCodeAt(this.i)
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return
      this.i++
    }
  }

  /** Reads the string at `i` (on its quote): its length once unescaped, and whether it has escapes. */
  private string(): { length: number; escaped: boolean; end: number } {
    const { text, n } = this
    let i = this.i + 1
    let length = 0
    let escaped = false
    let highSurrogate = false
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        if (highSurrogate) this.fail('BODY_MALFORMED', 'a lone surrogate escape')
        this.i = i + 1
        return { length, escaped, end: this.i }
      }
      if (c < 0x20) this.fail('BODY_MALFORMED', 'a control character in a string')
      if (c === 0x5c) {
        escaped = true
        const e = text[i + 1]
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6)
          if (!HEX4.test(hex)) this.fail('BODY_MALFORMED', 'a bad escape')
          const unit = parseInt(hex, 16)
          const isHigh = unit >= 0xd800 && unit <= 0xdbff
          const isLow = unit >= 0xdc00 && unit <= 0xdfff
          if (isLow !== highSurrogate) this.fail('BODY_MALFORMED', 'a lone surrogate escape')
          highSurrogate = isHigh
          i += 6
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          if (highSurrogate) this.fail('BODY_MALFORMED', 'a lone surrogate escape')
          i += 2
        } else this.fail('BODY_MALFORMED', 'a bad escape')
      } else {
        if (highSurrogate) this.fail('BODY_MALFORMED', 'a lone surrogate escape')
        i++
      }
      length++
    }
    return this.fail('BODY_MALFORMED', 'an unterminated string')
  }

  private checkLength(length: number): void {
    if (length > this.rules.maxStringLength) {
      this.fail('BODY_LIMIT_EXCEEDED', `a string longer than ${this.rules.maxStringLength}`)
    }
  }

  private number(): void {
    NUMBER.lastIndex = this.i
    const m = NUMBER.exec(this.text)
    if (!m || m[0] === '-') this.fail('BODY_MALFORMED', 'invalid JSON')
    const token = m![0]
    this.i += token.length
    const plain = m![1] === undefined && m![2] === undefined
    if (plain && token.length < 16) {
      if (token === '-0') (this.spelled ??= new Set()).add(exactPointer(this.stack))
      return
    }
    const value = Number(token)
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      this.fail('BODY_LIMIT_EXCEEDED', 'a number beyond 2^53')
    }
    if (!plain && Number.isInteger(value)) {
      ;(this.spelled ??= new Set()).add(exactPointer(this.stack))
    }
  }

  private open(object: boolean): void {
    if (this.stack.length + 1 > this.rules.maxDepth) {
      this.fail('BODY_LIMIT_EXCEEDED', `nesting deeper than ${this.rules.maxDepth}`)
    }
    this.stack.push({ keys: object ? new Set() : undefined, count: 0, at: 0 })
    this.i++
  }

  /** Reads `"key":` of the innermost object. */
  private key(): void {
    const { text, rules } = this
    this.space()
    if (text.charCodeAt(this.i) !== 0x22) this.fail('BODY_MALFORMED', 'invalid JSON')
    const start = this.i
    const s = this.string()
    const name = s.escaped
      ? (JSON.parse(text.slice(start, s.end)) as string)
      : text.slice(start + 1, s.end - 1)
    const frame = this.stack[this.stack.length - 1]!
    frame.at = name
    this.checkLength(s.length)
    if (rules.forbiddenKeys.has(name))
      this.fail('BODY_KEY_NOT_ALLOWED', 'a key that is not allowed')
    if (frame.keys!.has(name)) this.fail('BODY_MALFORMED', 'a duplicate key')
    if (++frame.count > rules.maxObjectKeys) {
      this.fail('BODY_LIMIT_EXCEEDED', `an object with more than ${rules.maxObjectKeys} keys`)
    }
    frame.keys!.add(name)
    this.space()
    if (text.charCodeAt(this.i) !== 0x3a) this.fail('BODY_MALFORMED', 'invalid JSON')
    this.i++
  }
}
