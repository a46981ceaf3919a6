/**
 * Reads ModSecurity's `SecRule` syntax as far as the Core Rule Set's attack rules use it:
 * line continuations, comments, `SecMarker`, the three arguments (targets, operator,
 * actions), quoting as Apache reads it (inside a double-quoted argument only `\"` is an
 * escape), chains (`chain`: the next rule belongs to this one), and the actions the scan
 * needs (`id`, `phase`, `t:`, `tag:'paranoia-level/N'`, `severity`, the anomaly score of its
 * `setvar`). Pure: the caller reads the files.
 */

export type Severity = 'CRITICAL' | 'ERROR' | 'WARNING' | 'NOTICE'

/** CRS's default anomaly scores (`tx.critical_anomaly_score` ...). */
export const SEVERITY_SCORE: Record<Severity, number> = {
  CRITICAL: 5,
  ERROR: 4,
  WARNING: 3,
  NOTICE: 2,
}

export interface SecRuleLink {
  /** `ARGS`, `ARGS_NAMES`, `REQUEST_HEADERS:User-Agent`, ... (exclusions `!X` dropped). */
  targets: string[]
  /** `rx`, `pm`, `pmFromFile`, `detectSQLi`, ... */
  operator: string
  /** The operator's argument, as ModSecurity receives it. */
  argument: string
  negated: boolean
  /** Transformations in order, after the last `t:none`. */
  transforms: string[]
}

export interface SecRule extends SecRuleLink {
  id: number
  /** The file the rule came from (its name, without the directory). */
  file: string
  phase: number
  /** From `tag:'paranoia-level/N'`, else the level of the file section it is in. */
  paranoia: number
  severity: Severity
  /** `tx.<name>_anomaly_score` the rule adds to, turned into a number. */
  score: number
  msg: string
  /** Links of a chain after this one (each must match for the rule to fire). */
  chain: SecRuleLink[]
}

/** Joins continued lines and splits the text into directives (one logical line each). */
export function directives(text: string): string[] {
  const out: string[] = []
  let current = ''
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '')
    if (current === '' && /^\s*(#|$)/.test(line)) continue
    if (line.endsWith('\\')) {
      current += line.slice(0, -1)
      continue
    }
    current += line
    out.push(current.trim())
    current = ''
  }
  if (current.trim() !== '') out.push(current.trim())
  return out
}

/** Splits a directive into words, Apache style: quoted words keep spaces, `\"` is a quote. */
export function words(line: string): string[] {
  const out: string[] = []
  let i = 0
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++
    if (i >= line.length) break
    const quote = line[i] === '"' || line[i] === "'" ? line[i]! : undefined
    let word = ''
    if (quote) {
      i++
      while (i < line.length && line[i] !== quote) {
        if (line[i] === '\\' && line[i + 1] === quote) {
          word += quote
          i += 2
        } else word += line[i++]
      }
      i++
    } else {
      while (i < line.length && !/\s/.test(line[i]!)) word += line[i++]
    }
    out.push(word)
  }
  return out
}

/** Splits an action list at commas outside single quotes: `[name, value?]` pairs. */
export function actions(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = []
  let part = ''
  let quoted = false
  const flush = () => {
    const p = part.trim()
    part = ''
    if (p === '') return
    const colon = p.indexOf(':')
    if (colon < 0) out.push([p, ''])
    else {
      let value = p.slice(colon + 1).trim()
      if (value.startsWith("'") && value.endsWith("'") && value.length >= 2)
        value = value.slice(1, -1)
      out.push([p.slice(0, colon).trim(), value])
    }
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === "'" && text[i - 1] !== '\\') quoted = !quoted
    if (c === ',' && !quoted) flush()
    else part += c
  }
  flush()
  return out
}

function link(
  targetText: string,
  operatorText: string,
  acts: Array<[string, string]>,
): SecRuleLink {
  const targets = targetText.split('|').filter((t) => t !== '' && !t.startsWith('!'))
  let op = operatorText.trim()
  const negated = op.startsWith('!')
  if (negated) op = op.slice(1)
  let operator = 'rx'
  let argument = op
  if (op.startsWith('@')) {
    const space = op.search(/\s/)
    operator = (space < 0 ? op : op.slice(0, space)).slice(1)
    argument = space < 0 ? '' : op.slice(space + 1)
  }
  let transforms: string[] = []
  for (const [name, value] of acts) {
    if (name !== 't') continue
    if (value === 'none') transforms = []
    else transforms.push(value)
  }
  return { targets, operator, argument, negated, transforms }
}

const SCORE_VAR = /anomaly_score_pl\d+=\+%\{tx\.(critical|error|warning|notice)_anomaly_score\}/i

/**
 * The rules of one file. `file` is the file's name. Rules without an `id` (chain links) are
 * attached to the rule before them; `SecMarker`, `SecAction` and rules that only steer the
 * engine (on `TX:` variables) are skipped.
 */
export function parseSecRules(text: string, file: string): SecRule[] {
  const out: SecRule[] = []
  let sectionLevel = 1
  let chaining: SecRule | undefined
  for (const line of directives(text)) {
    const w = words(line)
    if (w[0] !== 'SecRule' || w.length < 3) continue
    const [, targetText, operatorText, actionText = ''] = w as [string, string, string, string?]
    const acts = actions(actionText)
    const get = (name: string) => acts.find(([n]) => n === name)?.[1]
    const l = link(targetText!, operatorText!, acts)
    const chains = acts.some(([n]) => n === 'chain')
    if (chaining) {
      chaining.chain.push(l)
      if (!chains) chaining = undefined
      continue
    }
    const paranoiaSkip = /^TX:EXECUTING_PARANOIA_LEVEL$/i.test(targetText!)
    if (paranoiaSkip) {
      const m = /@lt\s+(\d)/.exec(operatorText!)
      if (m) sectionLevel = Number(m[1])
      continue
    }
    const id = Number(get('id'))
    if (!Number.isInteger(id)) continue
    const tag = acts.find(([n, v]) => n === 'tag' && /^paranoia-level\/\d$/.test(v))?.[1]
    const sev = (get('severity') ?? '').toUpperCase()
    const scoreVar = acts.find(([n, v]) => n === 'setvar' && SCORE_VAR.test(v))?.[1]
    const fromVar = scoreVar ? SCORE_VAR.exec(scoreVar)![1]!.toUpperCase() : undefined
    const severity = (
      fromVar && fromVar in SEVERITY_SCORE ? fromVar : sev in SEVERITY_SCORE ? sev : 'CRITICAL'
    ) as Severity
    const rule: SecRule = {
      ...l,
      id,
      file,
      phase: Number(get('phase') ?? 2),
      paranoia: tag ? Number(tag.slice('paranoia-level/'.length)) : sectionLevel,
      severity,
      score: SEVERITY_SCORE[severity],
      msg: get('msg') ?? '',
      chain: [],
    }
    out.push(rule)
    if (chains) chaining = rule
  }
  return out
}
