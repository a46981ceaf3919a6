/**
 * Strict JSON for token headers, payloads and key sets. `JSON.parse` keeps the last of two
 * equal keys, so `{"alg":"EdDSA","alg":"none"}` means different things to different
 * parsers; this scanner walks the text first (RFC 8259 grammar, bounded depth) and refuses
 * duplicate keys at any level, compared after unescaping, and the `__proto__` key. Only
 * text that passes is handed to `JSON.parse`.
 */
import { MAX_JSON_DEPTH } from './constants.js'

export class StrictJsonError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'StrictJsonError'
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

export function parseStrictJson(text: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  let i = 0
  const n = text.length

  const fail = (reason: string): never => {
    throw new StrictJsonError(`${reason} at ${i}`)
  }

  const space = () => {
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return
      i++
    }
  }

  const string = (): string => {
    const start = i++
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        i++
        try {
          // One string literal: JSON.parse checks its escapes.
          return JSON.parse(text.slice(start, i)) as string
        } catch {
          return fail('bad string escape')
        }
      }
      if (c < 0x20) fail('control character in string')
      i += c === 0x5c ? 2 : 1
    }
    return fail('unterminated string')
  }

  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length
    else fail('unexpected character')
  }

  const value = (depth: number): void => {
    space()
    const c = text[i]
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) fail('nested too deeply')
      i++
      space()
      const close = c === '{' ? '}' : ']'
      if (text[i] === close) {
        i++
        return
      }
      const keys = c === '{' ? new Set<string>() : undefined
      for (;;) {
        if (keys) {
          space()
          if (text[i] !== '"') fail('expected a key')
          const key = string()
          if (key === '__proto__') fail('refused key')
          if (keys.has(key)) fail('duplicate key')
          keys.add(key)
          space()
          if (text[i] !== ':') fail('expected :')
          i++
        }
        value(depth + 1)
        space()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === close) {
          i++
          return
        }
        fail(`expected , or ${close}`)
      }
    }
    if (c === '"') {
      string()
      return
    }
    if (c === 't') return literal('true')
    if (c === 'f') return literal('false')
    if (c === 'n') return literal('null')
    NUMBER.lastIndex = i
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex
      return
    }
    fail('unexpected character')
  }

  value(0)
  space()
  if (i !== n) fail('trailing characters')
  return JSON.parse(text)
}
