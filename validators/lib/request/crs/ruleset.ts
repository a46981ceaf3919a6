/**
 * Which rules of the Core Rule Set (and of the product's own file) the scan runs, each with
 * its class, paranoia level, score, transformation pipeline and RE2 pattern; and which it
 * cannot run, each with the reason. Pure: `buildRuleSet` is given the files' text and a reader
 * for the data files (`@pmFromFile`); `load.ts` reads them from the installed package.
 */
import { RE2JS } from 're2js'
import { CRS_FAMILIES, INJECTION_CLASSES, type InjectionClass } from './families.js'
import { parseSecRules, type SecRule, type SecRuleLink } from './secrule.js'
import { pipeline } from './transforms.js'

export interface RunnableLink {
  /** The transformation names, for grouping (`urlDecodeUni,lowercase`). */
  key: string
  transform: (text: string) => string
  /** RE2 syntax, dot matching newlines as ModSecurity compiles `@rx` (PCRE_DOTALL). */
  pattern: string
}

export interface RunnableRule extends RunnableLink {
  id: number
  file: string
  class: InjectionClass
  paranoia: number
  score: number
  msg: string
  /** Reads parameter values (`ARGS`). */
  values: boolean
  /** Reads parameter names (`ARGS_NAMES`). */
  names: boolean
  /** Reads only the query's (`ARGS_GET`, `ARGS_GET_NAMES`). */
  queryOnly: boolean
  /** Further links, each on the same value with its own transformations; all must match. */
  chain: Array<RunnableLink & { re: RE2JS }>
}

export interface SkippedRule {
  id: number
  file: string
  class: InjectionClass
  paranoia: number
  reason: string
}

export interface RuleSet {
  rules: RunnableRule[]
  skipped: SkippedRule[]
}

export interface RuleFile {
  name: string
  text: string
}

const VALUE_TARGETS = new Set(['ARGS', 'XML:/*', 'ARGS_GET'])
const NAME_TARGETS = new Set(['ARGS_NAMES', 'ARGS_GET_NAMES'])
const SAME_VALUE = new Set(['MATCHED_VAR', 'MATCHED_VARS'])

/** Escapes a phrase for RE2. */
export function literal(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`)
}

/** Why RE2 cannot run a PCRE pattern, named by the feature. */
export function re2Reason(pattern: string, error: string): string {
  const found: string[] = []
  if (/\(\?<?[=!]/.test(pattern)) found.push('look-around (`(?=`, `(?!`, `(?<=`, `(?<!`)')
  if (/\\[1-9]/.test(pattern)) found.push('a backreference (`\\1`)')
  if (/[+*?}]\+/.test(pattern) && /nested repetition/.test(error))
    found.push('a possessive quantifier (`++`)')
  if (pattern.includes('(?>')) found.push('an atomic group (`(?>`)')
  if (found.length === 0) return `RE2 refuses it: ${error}`
  return `${found.join(' and ')}, which RE2 cannot run`
}

function phrases(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
}

/** The RE2 source of a link's operator, or the reason it has none. */
function patternOf(
  l: SecRuleLink,
  readData: (name: string) => string | undefined,
): { pattern: string } | { reason: string } {
  if (l.negated) return { reason: `a negated operator (\`!@${l.operator}\`) is not supported` }
  switch (l.operator) {
    case 'rx':
      return { pattern: l.argument }
    case 'pm': {
      const list = l.argument.split(/\s+/).filter(Boolean)
      return { pattern: `(?i)(?:${list.map(literal).join('|')})` }
    }
    case 'pmFromFile':
    case 'pmf': {
      const list: string[] = []
      for (const name of l.argument.split(/\s+/).filter(Boolean)) {
        const text = readData(name)
        if (text === undefined) return { reason: `its data file ${name} is missing` }
        list.push(...phrases(text))
      }
      return { pattern: `(?i)(?:${list.map(literal).join('|')})` }
    }
    case 'contains':
      return { pattern: literal(l.argument) }
    case 'beginsWith':
      return { pattern: `^${literal(l.argument)}` }
    case 'endsWith':
      return { pattern: `${literal(l.argument)}\\z` }
    case 'streq':
      return { pattern: `^${literal(l.argument)}\\z` }
    case 'detectSQLi':
    case 'detectXSS':
      return { reason: `\`@${l.operator}\` calls libinjection, a C library, not available here` }
    default:
      return { reason: `\`@${l.operator}\` compares numbers or state, not the text of a value` }
  }
}

function runnableLink(
  l: SecRuleLink,
  readData: (name: string) => string | undefined,
): (RunnableLink & { re: RE2JS }) | { reason: string } {
  const fn = pipeline(l.transforms)
  if (typeof fn === 'string') return { reason: `transformation t:${fn} is not reproduced` }
  const source = patternOf(l, readData)
  if ('reason' in source) return source
  const pattern = `(?s)${source.pattern}`
  try {
    const re = RE2JS.compile(pattern)
    return { key: l.transforms.join(','), transform: fn, pattern, re }
  } catch (e) {
    return { reason: re2Reason(source.pattern, String((e as Error).message)) }
  }
}

function classOf(
  rule: SecRule,
  productTags: Map<number, InjectionClass>,
): InjectionClass | undefined {
  const family = /^REQUEST-(\d{3})-/.exec(rule.file)?.[1]
  if (family && Object.hasOwn(CRS_FAMILIES, family)) return CRS_FAMILIES[family]
  return productTags.get(rule.id)
}

function productClasses(text: string): Map<number, InjectionClass> {
  const out = new Map<number, InjectionClass>()
  for (const m of text.matchAll(/id:(\d+)[\s\S]*?tag:'portcullis-class\/([a-z]+)'/g)) {
    if ((INJECTION_CLASSES as readonly string[]).includes(m[2]!))
      out.set(Number(m[1]), m[2] as InjectionClass)
  }
  return out
}

/** Sorts every rule of `files` into the ones the scan runs and the ones it cannot, with why. */
export function buildRuleSet(
  files: readonly RuleFile[],
  readData: (name: string) => string | undefined,
): RuleSet {
  const rules: RunnableRule[] = []
  const skipped: SkippedRule[] = []
  for (const file of files) {
    const tags = productClasses(file.text)
    for (const rule of parseSecRules(file.text, file.name)) {
      const cls = classOf(rule, tags)
      if (!cls) continue
      const skip = (reason: string) =>
        skipped.push({ id: rule.id, file: file.name, class: cls, paranoia: rule.paranoia, reason })
      const values = rule.targets.some((t) => VALUE_TARGETS.has(t))
      const names = rule.targets.some((t) => NAME_TARGETS.has(t))
      if (!values && !names) {
        skip(`reads only ${rule.targets.join(', ')}, not parameter names or values`)
        continue
      }
      const head = runnableLink(rule, readData)
      if ('reason' in head) {
        skip(head.reason)
        continue
      }
      const chain: RunnableRule['chain'] = []
      let reason: string | undefined
      for (const l of rule.chain) {
        const foreign = l.targets.filter(
          (t) => !SAME_VALUE.has(t) && !VALUE_TARGETS.has(t) && !NAME_TARGETS.has(t),
        )
        if (foreign.length > 0 && foreign.length === l.targets.length) {
          reason = `its chain reads ${foreign.join(', ')}, which the scan does not have`
          break
        }
        const r = runnableLink(l, readData)
        if ('reason' in r) {
          reason = `its chain: ${r.reason}`
          break
        }
        chain.push(r)
      }
      if (reason) {
        skip(reason)
        continue
      }
      const queryOnly =
        !rule.targets.includes('ARGS') &&
        !rule.targets.includes('ARGS_NAMES') &&
        !rule.targets.includes('XML:/*')
      rules.push({
        id: rule.id,
        file: file.name,
        class: cls,
        paranoia: rule.paranoia,
        score: rule.score,
        msg: rule.msg,
        key: head.key,
        transform: head.transform,
        pattern: head.pattern,
        values,
        names,
        queryOnly,
        chain,
      })
    }
  }
  return { rules, skipped }
}
