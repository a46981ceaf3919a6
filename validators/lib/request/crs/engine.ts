/**
 * The rules a route runs (its classes, up to its paranoia level), compiled once: rules with
 * the same transformation pipeline share one RE2 set, so a value is transformed once per
 * pipeline and read by one linear pass per pipeline; only the members the set reports run
 * their chain links. A value's hits are the rules that fired, with their scores.
 *
 * Ordinary text goes a shorter way. Most pipelines differ only in decoders (URL, HTML, JS and
 * CSS escapes, comments, paths, NULs) that leave text without `%`, `&#`, `\`, `/` ... as it
 * is. When every decoder of every pipeline is certain to leave a value unchanged (tests in
 * `UNCHANGED`, checked on the text each decoder would see), the value is read through the few
 * pipelines that remain (`lowercase`, `cmdLine`, whitespace), each with one set holding all the
 * rules that reduce to it: the same rules fire, in about a quarter of the passes.
 */
import { RE2Set } from 're2js'
import type { InjectionClass } from './families.js'
import type { RunnableRule } from './ruleset.js'
import { TRANSFORMS, UNCHANGED } from './transforms.js'

export interface RuleHit {
  id: number
  class: InjectionClass
  score: number
}

/** Where a value sits: a name (`ARGS_NAMES`) or a value, and whether it is in the query. */
export interface Place {
  name: boolean
  query: boolean
}

interface Sets {
  values?: { set: RE2Set; rules: RunnableRule[] }
  names?: { set: RE2Set; rules: RunnableRule[] }
}

interface Group extends Sets {
  transform: (text: string) => string
}

interface Reduced extends Sets {
  /** Index into the shape strings a value is turned into. */
  shape: number
}

/** Memory for one set's DFA; a set that needs more resets its cache, it never fails. */
const SET_MEMORY = 32 << 20

function setOf(rules: RunnableRule[]): { set: RE2Set; rules: RunnableRule[] } | undefined {
  if (rules.length === 0) return undefined
  const set = new RE2Set(RE2Set.UNANCHORED, 0, SET_MEMORY)
  for (const r of rules) set.add(r.pattern)
  set.compile()
  return { set, rules }
}

function setsOf(members: RunnableRule[]): Sets {
  const values = setOf(members.filter((r) => r.values))
  const names = setOf(members.filter((r) => r.names))
  return { ...(values ? { values } : {}), ...(names ? { names } : {}) }
}

function chainHolds(rule: RunnableRule, text: string): boolean {
  return rule.chain.every((l) => l.re.test(l.transform(text)))
}

export type RuleEngine = (text: string, place: Place) => RuleHit[]

export function compileEngine(rules: readonly RunnableRule[]): RuleEngine {
  const byKey = new Map<string, RunnableRule[]>()
  for (const r of rules) {
    const list = byKey.get(r.key) ?? []
    list.push(r)
    byKey.set(r.key, list)
  }
  const groups: Group[] = [...byKey.values()].map((members) => ({
    transform: members[0]!.transform,
    ...setsOf(members),
  }))

  // The short way: each pipeline without its decoders ("shape"), and the checks that make
  // dropping them exact: decoder d must leave unchanged the text the shape so far gives.
  const shapes: string[][] = []
  const shapeIndex = new Map<string, number>()
  const indexOf = (names: string[]) => {
    const key = names.join(',')
    let i = shapeIndex.get(key)
    if (i === undefined) {
      i = shapes.length
      shapes.push(names)
      shapeIndex.set(key, i)
    }
    return i
  }
  const checks = new Map<string, [number, string]>()
  const reducedMembers = new Map<number, RunnableRule[]>()
  for (const [key, members] of byKey) {
    const shape: string[] = []
    for (const name of key === '' ? [] : key.split(',')) {
      if (UNCHANGED[name]) {
        const at = indexOf([...shape])
        checks.set(`${at}|${name}`, [at, name])
      } else shape.push(name)
    }
    const at = indexOf(shape)
    reducedMembers.set(at, [...(reducedMembers.get(at) ?? []), ...members])
  }
  const reduced: Reduced[] = [...reducedMembers].map(([shape, members]) => ({
    shape,
    ...setsOf(members),
  }))
  const shapeFns = shapes.map((names) => names.map((n) => TRANSFORMS[n]!))
  const checkList = [...checks.values()].map(([at, name]) => [at, UNCHANGED[name]!] as const)

  const collect = (
    part: Sets['values'],
    text: string,
    raw: string,
    place: Place,
    hits: RuleHit[],
  ) => {
    if (!part) return
    for (const index of part.set.match(text)) {
      const rule = part.rules[index]!
      if (rule.queryOnly && !place.query) continue
      if (rule.chain.length > 0 && !chainHolds(rule, raw)) continue
      hits.push({ id: rule.id, class: rule.class, score: rule.score })
    }
  }

  return (text, place) => {
    const hits: RuleHit[] = []
    if (text.length === 0) return hits
    const shaped: Array<string | undefined> = new Array(shapes.length)
    const shapeOf = (i: number) => {
      let s = shaped[i]
      if (s === undefined) {
        s = text
        for (const fn of shapeFns[i]!) s = fn(s)
        shaped[i] = s
      }
      return s
    }
    if (checkList.every(([at, unchanged]) => unchanged(shapeOf(at)))) {
      for (const r of reduced) {
        collect(place.name ? r.names : r.values, shapeOf(r.shape), text, place, hits)
      }
      return hits
    }
    for (const g of groups) {
      const part = place.name ? g.names : g.values
      if (part) collect(part, g.transform(text), text, place, hits)
    }
    return hits
  }
}
