/**
 * The Core Rule Set's transformations (ModSecurity's `t:` actions) the kept rules name,
 * reproduced from the ModSecurity v2 reference on JavaScript strings (UTF-16 text, not
 * bytes). Where the reproduction differs it says so here and in crs/README.md:
 * - `urlDecodeUni` and `urlDecode` decode repeatedly, to a fixpoint of at most
 *   `MAX_URL_DECODES` rounds (ModSecurity decodes once per `t:`; the repetition is what
 *   catches double and triple encoding). `%uHHHH` gives the code point, except the
 *   full-width forms U+FF01..U+FF5E, which become their ASCII letters as in ModSecurity; other
 *   code points are kept whole rather than cut to their low byte.
 * - `utf8toUnicode` writes each non-ASCII character as `%uHHHH`, as ModSecurity does, so that
 *   the `urlDecodeUni` after it folds full-width look-alikes to ASCII.
 * - `htmlEntityDecode` knows ModSecurity's five names (`quot amp lt gt nbsp`) and numeric
 *   references with or without `;`.
 * Every transformation is linear in its input.
 */

export const MAX_URL_DECODES = 4

const HEX = /^[0-9a-fA-F]$/
const isHex = (c: string | undefined) => c !== undefined && HEX.test(c)

function urlDecodeOnce(text: string, unicode: boolean): string {
  if (!text.includes('%') && !text.includes('+')) return text
  let out = ''
  const bytes: number[] = []
  const flush = () => {
    if (bytes.length === 0) return
    out += decodeBytes(bytes)
    bytes.length = 0
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '%') {
      if (
        unicode &&
        (text[i + 1] === 'u' || text[i + 1] === 'U') &&
        isHex(text[i + 2]) &&
        isHex(text[i + 3]) &&
        isHex(text[i + 4]) &&
        isHex(text[i + 5])
      ) {
        flush()
        let code = parseInt(text.slice(i + 2, i + 6), 16)
        if (code >= 0xff01 && code <= 0xff5e) code -= 0xfee0
        out += String.fromCharCode(code)
        i += 5
        continue
      }
      if (isHex(text[i + 1]) && isHex(text[i + 2])) {
        bytes.push(parseInt(text.slice(i + 1, i + 3), 16))
        i += 2
        continue
      }
    }
    flush()
    out += c === '+' ? ' ' : c
  }
  flush()
  return out
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
/** Bytes as UTF-8 when they are UTF-8, else one character per byte (ModSecurity's bytes). */
function decodeBytes(bytes: number[]): string {
  try {
    return utf8.decode(new Uint8Array(bytes))
  } catch {
    return String.fromCharCode(...bytes)
  }
}

function urlDecodeRepeated(text: string, unicode: boolean): string {
  let current = text
  for (let i = 0; i < MAX_URL_DECODES; i++) {
    const next = urlDecodeOnce(current, unicode)
    if (next === current) break
    current = next
  }
  return current
}

function utf8toUnicode(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text
  let out = ''
  for (const ch of text) {
    const code = ch.codePointAt(0)!
    if (code < 0x80) out += ch
    else if (code > 0xffff) out += ch
    else out += `%u${code.toString(16).padStart(4, '0')}`
  }
  return out
}

const ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\u00a0' }

function htmlEntityDecode(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(
    /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(quot|amp|lt|gt|nbsp));?/gi,
    (whole, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
      if (name) return ENTITIES[name.toLowerCase()] ?? whole
      const code = hex ? parseInt(hex, 16) : Number(dec)
      // ModSecurity keeps one byte of a numeric reference.
      return String.fromCharCode(code & 0xff)
    },
  )
}

function jsDecode(text: string): string {
  if (!text.includes('\\')) return text
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c !== '\\' || i + 1 >= text.length) {
      out += c
      continue
    }
    const n = text[i + 1]!
    if ((n === 'u' || n === 'U') && [2, 3, 4, 5].every((k) => isHex(text[i + k]))) {
      let code = parseInt(text.slice(i + 2, i + 6), 16)
      if (code >= 0xff01 && code <= 0xff5e) code -= 0xfee0
      out += String.fromCharCode(code)
      i += 5
    } else if ((n === 'x' || n === 'X') && isHex(text[i + 2]) && isHex(text[i + 3])) {
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16))
      i += 3
    } else if (n >= '0' && n <= '7') {
      let j = i + 1
      let digits = ''
      while (j < text.length && digits.length < 3 && text[j]! >= '0' && text[j]! <= '7') {
        digits += text[j]
        j++
      }
      out += String.fromCharCode(parseInt(digits, 8) & 0xff)
      i = j - 1
    } else {
      const simple: Record<string, string> = {
        a: '\x07',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
        v: '\v',
      }
      out += simple[n] ?? n
      i += 1
    }
  }
  return out
}

function cssDecode(text: string): string {
  if (!text.includes('\\')) return text
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c !== '\\' || i + 1 >= text.length) {
      out += c
      continue
    }
    let j = i + 1
    let hex = ''
    while (j < text.length && hex.length < 6 && isHex(text[j])) hex += text[j++]
    if (hex.length > 0) {
      let code = parseInt(hex, 16)
      if (code >= 0xff01 && code <= 0xff5e) code -= 0xfee0
      out += String.fromCharCode(code & 0xffff)
      if (text[j] === ' ' || text[j] === '\t' || text[j] === '\n') j++
      i = j - 1
    } else if (text[j] === '\n') {
      i = j
    } else {
      out += text[j]
      i = j
    }
  }
  return out
}

/** ModSecurity's `cmdLine`: the shell's and cmd.exe's quoting and spacing undone. */
function cmdLine(text: string): string {
  let out = ''
  let space = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\\' || c === '"' || c === "'" || c === '^') continue
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',' || c === ';') {
      space = true
      continue
    }
    if (c === '/' || c === '(') space = false
    if (space) {
      out += ' '
      space = false
    }
    out += c.toLowerCase()
  }
  return out
}

function compressWhitespace(text: string): string {
  return text.replace(/[\s\u00a0\v]+/g, ' ')
}

function removeWhitespace(text: string): string {
  return text.replace(/[\s\u00a0\v]+/g, '')
}

/** `/* *\/`, `<!-- -->` removed; `--` and `#` comment out the rest of the input. */
function removeComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?(?:\*\/|$)|<!--[\s\S]*?(?:-->|$)|(?:--|#)[\s\S]*$/g, '')
}

/** `/* *\/` (also unterminated) becomes one space. */
function replaceComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?(?:\*\/|$)/g, ' ')
}

function normalizePath(text: string, windows: boolean): string {
  let path = windows ? text.replaceAll('\\', '/') : text
  if (!path.includes('/')) return path
  const absolute = path.startsWith('/')
  const trailing = path.endsWith('/')
  const out: string[] = []
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!absolute) out.push('..')
      continue
    }
    out.push(seg)
  }
  path = (absolute ? '/' : '') + out.join('/')
  if (trailing && out.length > 0) path += '/'
  return path
}

const BASE64 = /^[A-Za-z0-9+/]{8,}={0,2}$/

/**
 * A value that is base64 as a whole is decoded (as bytes, one character each); any other value
 * is left as it is, so the rule reads it raw instead of reading garbage.
 */
function base64Decode(text: string): string {
  const clean = text.trim()
  if (!BASE64.test(clean)) return text
  return Buffer.from(clean, 'base64').toString('latin1')
}

export const TRANSFORMS: Record<string, (text: string) => string> = {
  urlDecodeUni: (t) => urlDecodeRepeated(t, true),
  urlDecode: (t) => urlDecodeRepeated(t, false),
  utf8toUnicode,
  htmlEntityDecode,
  jsDecode,
  cssDecode,
  cmdLine,
  lowercase: (t) => t.toLowerCase(),
  compressWhitespace,
  removeWhitespace,
  removeComments,
  replaceComments,
  removeNulls: (t) => (t.includes('\0') ? t.replaceAll('\0', '') : t),
  normalisePath: (t) => normalizePath(t, false),
  normalizePath: (t) => normalizePath(t, false),
  normalizePathWin: (t) => normalizePath(t, true),
  base64Decode,
  base64decode: base64Decode,
}

/**
 * For the transformations that decode or clean up, a test that is true only when the
 * transformation certainly returns its input unchanged. The others (`lowercase`, `cmdLine`,
 * `compressWhitespace`, `removeWhitespace`) change the shape of almost any text and have none.
 * The engine uses these to read ordinary text through fewer pipelines (crs/engine.ts).
 */
export const UNCHANGED: Record<string, (text: string) => boolean> = {
  urlDecodeUni: (t) => !/[%+]/.test(t),
  urlDecode: (t) => !/[%+]/.test(t),
  utf8toUnicode: (t) => /^[\x00-\x7f]*$/.test(t),
  htmlEntityDecode: (t) => !/&(?:#|quot|amp|lt|gt|nbsp)/i.test(t),
  jsDecode: (t) => !t.includes('\\'),
  cssDecode: (t) => !t.includes('\\'),
  removeComments: (t) => !/\/\*|<!--|--|#/.test(t),
  replaceComments: (t) => !t.includes('/*'),
  removeNulls: (t) => !t.includes('\0'),
  normalisePath: (t) => !t.includes('/'),
  normalizePath: (t) => !t.includes('/'),
  normalizePathWin: (t) => !t.includes('/') && !t.includes('\\'),
  base64Decode: (t) => !BASE64.test(t.trim()),
  base64decode: (t) => !BASE64.test(t.trim()),
}

/** A pipeline of named transformations, or the name of one it does not know. */
export function pipeline(names: readonly string[]): ((text: string) => string) | string {
  const fns: Array<(text: string) => string> = []
  for (const name of names) {
    const fn = TRANSFORMS[name]
    if (!fn) return name
    fns.push(fn)
  }
  return (text) => {
    let out = text
    for (const fn of fns) out = fn(out)
    return out
  }
}
