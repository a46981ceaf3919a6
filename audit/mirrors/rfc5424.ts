/**
 * RFC 5424 syslog messages, written and read. One message per record:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [portcullis@32473 name="value" ...] MSG
 *
 * PRI is facility 13 (log audit) with the record's severity. The SD element carries every
 * field of the record; MSG is a short line for people. Header fields hold printable ASCII
 * only. PARAM-VALUEs escape `"`, `\` and `]` as the RFC says, and also control and line
 * separator characters (`\n`, `\r`, `\t`, `\uXXXX`), so no value can end the element, start
 * another one, or break a line in a receiver that writes messages one per line. MSG is cut to
 * keep a message within its size bound; the SD never is.
 */
import {
  HOSTNAME_MAX,
  APP_NAME_MAX,
  MSGID_CHECKPOINT,
  MSGID_EVENT,
  MSGID_MAX,
  PROCID_MAX,
  SD_ID,
  SD_NAME_MAX,
  SEVERITY,
  SYSLOG_FACILITY,
} from './constants.js'
import { recordFields, recordTime, severityOf, summaryLine, type Severity } from './record.js'
import type { MirrorRecord } from './types.js'

export interface SyslogHeader {
  hostname: string
  appName: string
  procId: string
}

export function priority(severity: Severity): number {
  return SYSLOG_FACILITY * 8 + SEVERITY[severity]
}

/**
 * HOSTNAME, APP-NAME, PROCID and MSGID are 1 to `max` printable US-ASCII characters: any
 * other character (space, control, non-ASCII) becomes `_`; nothing left is the NILVALUE `-`.
 */
export function headerField(value: string, max: number): string {
  let out = ''
  for (const ch of value) {
    if (out.length >= max) break
    const c = ch.codePointAt(0)!
    out += c >= 33 && c <= 126 ? ch : '_'
  }
  return out === '' ? '-' : out
}

/** An SD-NAME: 1 to 32 printable US-ASCII characters other than `=`, space, `]` and `"`. */
export function sdName(name: string): string {
  let out = ''
  for (const ch of name) {
    if (out.length >= SD_NAME_MAX) break
    const c = ch.codePointAt(0)!
    out += c >= 33 && c <= 126 && ch !== '=' && ch !== ']' && ch !== '"' ? ch : '_'
  }
  return out === '' ? '_' : out
}

const VALUE_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  ']': '\\]',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
}
const CONTROL = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029'
const VALUE_SPECIAL = new RegExp(`[\\\\"\\]${CONTROL}]`, 'g')
const MSG_SPECIAL = new RegExp(`[${CONTROL}]`, 'g')

function escapeControl(c: string): string {
  return VALUE_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/** A PARAM-VALUE's text: RFC 5424's three escapes, and control characters written out. */
export function escapeParamValue(value: string): string {
  return value.replace(VALUE_SPECIAL, escapeControl)
}

/** MSG is for people: only control characters are written out, so it stays one line. */
export function escapeMsg(text: string): string {
  return text.replace(MSG_SPECIAL, escapeControl)
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/

/** RFC 5424's TIMESTAMP: the record's time when it already is one, else re-written, else `-`. */
export function timestamp(time: string | undefined): string {
  if (time === undefined) return '-'
  if (RFC3339.test(time)) return time
  const ms = Date.parse(time)
  if (Number.isNaN(ms)) return '-'
  const iso = new Date(ms).toISOString()
  return RFC3339.test(iso) ? iso : '-'
}

export function structuredData(record: MirrorRecord): string {
  let sd = `[${SD_ID}`
  for (const [name, value] of recordFields(record)) {
    sd += ` ${sdName(name)}="${escapeParamValue(String(value))}"`
  }
  return sd + ']'
}

/**
 * The whole message, at most `maxBytes` octets when its header and SD leave room: MSG is cut
 * at a character boundary (marked `...`) or left out; a message whose SD alone is longer goes
 * whole, since cutting the SD would lose fields or break its syntax.
 */
export function formatSyslogMessage(
  record: MirrorRecord,
  header: SyslogHeader,
  maxBytes: number,
): Buffer {
  const msgId = record.kind === 'event' ? MSGID_EVENT : MSGID_CHECKPOINT
  const head =
    `<${priority(severityOf(record))}>1 ${timestamp(recordTime(record))} ` +
    `${headerField(header.hostname, HOSTNAME_MAX)} ${headerField(header.appName, APP_NAME_MAX)} ` +
    `${headerField(header.procId, PROCID_MAX)} ${headerField(msgId, MSGID_MAX)} ` +
    structuredData(record)
  const headBytes = Buffer.from(head)
  const msg = Buffer.from(escapeMsg(summaryLine(record)))
  const room = maxBytes - headBytes.length - 1
  if (msg.length === 0 || room < 4) return headBytes
  if (msg.length <= room) return Buffer.concat([headBytes, SPACE, msg])
  return Buffer.concat([headBytes, SPACE, utf8Prefix(msg, room - 3), ELLIPSIS])
}

const SPACE = Buffer.from(' ')
const ELLIPSIS = Buffer.from('...')

/** The longest prefix of `bytes` of at most `max` octets that ends on a character boundary. */
export function utf8Prefix(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes
  let end = max
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.subarray(0, end)
}

/** RFC 6587 octet-counting framing: `MSG-LEN SP SYSLOG-MSG`, the length in octets. */
export function frameOctetCounted(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `), message])
}

// ---- reading ---------------------------------------------------------------------------

export interface SdElement {
  id: string
  params: Record<string, string>
}

export interface ParsedSyslogMessage {
  pri: number
  version: number
  timestamp: string
  hostname: string
  appName: string
  procId: string
  msgId: string
  structuredData: SdElement[]
  msg: string
}

export class SyslogParseError extends Error {
  override name = 'SyslogParseError'
}

const UNESCAPES: Record<string, string> = {
  '\\': '\\',
  '"': '"',
  ']': ']',
  n: '\n',
  r: '\r',
  t: '\t',
}

/**
 * Reads STRUCTURED-DATA (`-` or one or more elements) from the start of `text`; returns the
 * elements and the characters read. Values are unescaped as `escapeParamValue` wrote them;
 * any other backslash stays, as RFC 5424 says.
 */
export function parseStructuredData(text: string): { elements: SdElement[]; length: number } {
  if (text.startsWith('-')) return { elements: [], length: 1 }
  const elements: SdElement[] = []
  let i = 0
  const fail = (what: string): never => {
    throw new SyslogParseError(`structured data: ${what} at ${i}`)
  }
  if (text[i] !== '[') fail('expected "["')
  while (text[i] === '[') {
    i++
    const idEnd = indexOfAny(text, i, ' ]')
    if (idEnd < 0 || idEnd === i) fail('expected an SD-ID')
    const element: SdElement = { id: text.slice(i, idEnd), params: {} }
    i = idEnd
    while (text[i] === ' ') {
      i++
      const eq = text.indexOf('="', i)
      if (eq <= i) fail('expected name="value"')
      const name = text.slice(i, eq)
      if (/[ \]"=]/.test(name)) fail('bad PARAM-NAME')
      i = eq + 2
      let value = ''
      for (;;) {
        const c = text[i]
        if (c === undefined) fail('unterminated PARAM-VALUE')
        if (c === '"') break
        if (c === '\\') {
          const next = text[i + 1]
          if (next !== undefined && next in UNESCAPES) {
            value += UNESCAPES[next]
            i += 2
            continue
          }
          if (next === 'u' && /^[0-9a-f]{4}$/i.test(text.slice(i + 2, i + 6))) {
            value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16))
            i += 6
            continue
          }
        }
        value += c
        i++
      }
      i++
      if (name in element.params) fail(`repeated PARAM-NAME ${name}`)
      element.params[name] = value
    }
    if (text[i] !== ']') fail('expected "]"')
    i++
    elements.push(element)
  }
  return { elements, length: i }
}

function indexOfAny(text: string, from: number, chars: string): number {
  for (let i = from; i < text.length; i++) if (chars.includes(text[i]!)) return i
  return -1
}

/** Reads a whole message (no framing): the header fields, the SD elements and MSG. */
export function parseSyslogMessage(text: string): ParsedSyslogMessage {
  const m = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(text)
  if (!m) throw new SyslogParseError('header: not RFC 5424')
  const rest = text.slice(m[0].length)
  const { elements, length } = parseStructuredData(rest)
  const after = rest.slice(length)
  if (after !== '' && !after.startsWith(' ')) throw new SyslogParseError('expected SP before MSG')
  return {
    pri: Number(m[1]),
    version: Number(m[2]),
    timestamp: m[3]!,
    hostname: m[4]!,
    appName: m[5]!,
    procId: m[6]!,
    msgId: m[7]!,
    structuredData: elements,
    msg: after.slice(1),
  }
}
