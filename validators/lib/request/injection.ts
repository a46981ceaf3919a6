/**
 * Injection signatures, looked for only on routes that ask (`x-portcullis-scan`). A small
 * table in the spirit of libinjection's and the OWASP Core Rule Set's most specific rules:
 * each pattern needs a piece of syntax that ordinary text does not have (a quote followed
 * by a boolean comparison, `UNION SELECT`, a tag with an event handler, a shell separator
 * followed by a command and an argument, a `../` step), so an apostrophe in a name or a
 * sentence about cats passes. Every pattern runs on re2js: time linear in the input,
 * whatever the client sends. A match is INJECTION_DETECTED; the detail names the class and
 * where, never the matched text.
 */
import { RE2JS } from 're2js'

export const INJECTION_CLASSES = ['sql', 'xss', 'command', 'path'] as const
export type InjectionClass = (typeof INJECTION_CLASSES)[number]

const Q = `['"\`]`
const SQL_CMP = String.raw`(?:=|<>|!=|<=|>=|<|>|\blike\b|\bis\b|\bbetween\b|\bin\s*\()`
const SQL_GAP = String.raw`(?:\s|/\*.*?\*/|\+)+`
/** Commands whose names are not English words. */
const SHELL_COMMANDS = String.raw`(?:wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|dash|python[0-9.]*|perl|ruby|php|chmod|chown|nslookup|telnet|powershell|pwsh|cmd|certutil|busybox|whoami|uname|ifconfig|ipconfig|rm\s+-[a-z]*[rf])\b`
/** Commands that are also words: they count only with an argument that looks like one. */
const SHELL_WORDS = String.raw`(?:cat|ls|id|ping|echo|sleep|kill|ps|dir|type|more|head|tail|env)(?:\s+[-/$.~]|\s*$|\s*[;&|#\x60)])`
const SHELL_SEPARATOR = String.raw`(?:[;&|\n\r]|\$\(|\x60)`

/** Each row: the class, what it catches, and the pattern (RE2 syntax, case-insensitive). */
export const SIGNATURES: ReadonlyArray<{ class: InjectionClass; name: string; pattern: string }> = [
  {
    class: 'sql',
    name: 'quote, then a boolean comparison',
    pattern: String.raw`${Q}\s*\)*\s*(?:or|and|xor|\|\||&&)\s*\(*\s*(?:'[^']*'|"[^"]*"|\w+)\s*${SQL_CMP}`,
  },
  {
    class: 'sql',
    name: 'quote, then a constant condition and a comment or end',
    pattern: String.raw`${Q}\s*\)*\s*(?:or|and)\s+(?:true|false|\d+)\s*(?:--|#|/\*|;|$)`,
  },
  {
    class: 'sql',
    name: 'quote, then a comment',
    pattern: String.raw`${Q}\s*\)*\s*(?:--(?:\s|$)|#\s*$|/\*)`,
  },
  {
    class: 'sql',
    name: 'numeric tautology',
    pattern: String.raw`\b(?:or|and)\s+\d+\s*(?:=|<|>)\s*\d+`,
  },
  {
    class: 'sql',
    name: 'UNION SELECT',
    pattern: String.raw`\bunion${SQL_GAP}(?:(?:all|distinct)${SQL_GAP})?\(*\s*select\b`,
  },
  {
    class: 'sql',
    name: 'stacked statement',
    pattern: String.raw`;\s*(?:drop\s+(?:table|database|schema|user)|delete\s+from|insert\s+into|update\s+\w+\s+set|alter\s+table|create\s+(?:table|user|database)|truncate\s+table|exec(?:ute)?\s*\(?\s*(?:xp_|sp_)|shutdown\b|declare\s+@)`,
  },
  {
    class: 'sql',
    name: 'timing, file and catalogue functions',
    pattern: String.raw`\b(?:sleep|pg_sleep|benchmark|extractvalue|updatexml|load_file|dbms_pipe\.receive_message)\s*\(|\bwaitfor\s+delay\s+'|\binto\s+(?:out|dump)file\b|\binformation_schema\b|\bxp_cmdshell\b|@@version\b|\bselect\s+(?:\*|@@|null\s*,|(?:count|concat|char|version|user|database)\s*\()`,
  },
  { class: 'xss', name: 'script tag', pattern: String.raw`<\s*/?\s*script\b` },
  {
    class: 'xss',
    name: 'tag with an event handler',
    pattern: String.raw`<[a-z!/?][^>]*?\bon[a-z]{3,}\s*=`,
  },
  {
    class: 'xss',
    name: 'active tag',
    pattern: String.raw`<\s*(?:iframe|frame|frameset|object|embed|svg|math|base|link|meta|style|form|applet|template|xml)\b`,
  },
  {
    class: 'xss',
    name: 'script URL',
    pattern: String.raw`(?:^|[\s"'=(,<])(?:java|vb|live)script\s*:|\bdata\s*:\s*text/html`,
  },
  {
    class: 'xss',
    name: 'script sinks',
    pattern: String.raw`\bsrcdoc\s*=|\bformaction\s*=|\bexpression\s*\(|-moz-binding|document\.(?:cookie|domain|write)|window\.location|fromcharcode\s*\(`,
  },
  {
    class: 'command',
    name: 'shell separator, then a command',
    pattern: `${SHELL_SEPARATOR}\\s*(?:${SHELL_COMMANDS}|${SHELL_WORDS})`,
  },
  { class: 'command', name: 'command substitution', pattern: String.raw`\$\([^)]*\)|\$\{[^}]*\}` },
  { class: 'command', name: 'IFS trick', pattern: String.raw`\$IFS\b` },
  {
    class: 'command',
    name: 'shell paths and reverse shells',
    pattern: String.raw`/bin/(?:ba|z|k|da)?sh\b|/usr/bin/\w|\bcmd(?:\.exe)?\s+/c\b|\bpowershell(?:\.exe)?\s+-|/dev/(?:tcp|udp)/|\|\s*(?:ba)?sh\b`,
  },
  { class: 'path', name: 'dot-dot step', pattern: String.raw`(?:^|[\\/])\.\.(?:[\\/]|$)` },
  {
    class: 'path',
    name: 'encoded dot-dot or separator',
    pattern: String.raw`(?:%2e|\.)(?:%2e|\.)(?:%2f|%5c|/|\\)|(?:%2f|%5c)(?:%2e|\.){2}|%25(?:2e|2f|5c)|%c0%ae|%c0%af|%c1%9c|%e0%80%ae|%u(?:ff0e|2215|2216)`,
  },
  {
    class: 'path',
    name: 'system files',
    pattern: String.raw`/etc/(?:passwd|shadow|group|hosts|issue)\b|/proc/self/|(?:^|[\\/])(?:boot|win|system)\.ini\b|\b[a-z]:\\windows\\|\bfile://|/\.ssh/|\.ht(?:access|passwd)\b|\bweb\.config\b|\bweb-inf\b`,
  },
  { class: 'path', name: 'NUL byte', pattern: String.raw`\x00|%00` },
]

function compile(classes: Iterable<InjectionClass>): RE2JS {
  const wanted = new Set(classes)
  const source = SIGNATURES.filter((s) => wanted.has(s.class))
    .map((s) => `(?:${s.pattern})`)
    .join('|')
  return RE2JS.compile(source, RE2JS.CASE_INSENSITIVE)
}

const byClass = new Map(INJECTION_CLASSES.map((c) => [c, compile([c])]))

function lenientDecode(text: string): string | undefined {
  if (!text.includes('%')) return undefined
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return undefined
  }
}

/** Returns the first class whose signatures match a text, or undefined. */
export type InjectionScanner = (text: string) => InjectionClass | undefined

/**
 * A scanner for the classes a route asks for, compiled once at start. Clean text is read by
 * one pattern of all the classes; only a hit is read again to name its class. The text's
 * percent-decoded form is read too (a second layer of encoding is a common way past a
 * single decode).
 */
export function injectionScanner(classes: ReadonlySet<InjectionClass>): InjectionScanner {
  const any = compile(classes)
  const ordered = INJECTION_CLASSES.filter((c) => classes.has(c))
  return (text) => {
    const decoded = lenientDecode(text)
    if (!matches(any, text, decoded)) return undefined
    return ordered.find((c) => matches(byClass.get(c)!, text, decoded))
  }
}

function matches(re: RE2JS, text: string, decoded: string | undefined): boolean {
  return re.test(text) || (decoded !== undefined && re.test(decoded))
}
