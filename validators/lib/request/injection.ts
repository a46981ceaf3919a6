/**
 * Injection detection from the OWASP Core Rule Set (Debian's `modsecurity-crs`, read at start
 * by crs/load.ts), for routes that ask (`x-portcullis-scan`). The attack families a route
 * names (crs/families.ts: `sql` is CRS 942, `xss` 941, `command` 932, `path` 930, ...) run
 * up to the route's paranoia level, on re2js: time linear in the input, whatever the client
 * sends. Rules with the same transformations share one RE2 set (crs/engine.ts). Scoring is
 * CRS's anomaly scoring (scan.ts adds the scores of one request's rules and refuses it at the
 * threshold). A finding names the class and the place, never the matched text.
 */
import { DEFAULT_SCAN_POLICY, type ScanPolicy } from '../../../core/index.js'
import { compileEngine, type Place, type RuleEngine, type RuleHit } from './crs/engine.js'
import { INJECTION_CLASSES, type InjectionClass } from './crs/families.js'
import { loadRuleSet } from './crs/load.js'

export { INJECTION_CLASSES, type InjectionClass } from './crs/families.js'
export type { Place, RuleHit } from './crs/engine.js'

/**
 * Called on one value: the class of the strongest rule when that value alone reaches the
 * threshold, else undefined. `check` gives every rule that fires, for the request's tally.
 */
export interface InjectionScanner {
  (text: string, place?: Place): InjectionClass | undefined
  readonly classes: ReadonlySet<InjectionClass>
  readonly paranoia: number
  /** The request's anomaly score at which it is refused. */
  readonly threshold: number
  /** The rules that fire on one value (a name or a value, in the query or not). */
  check(text: string, place: Place): RuleHit[]
}

const engines = new Map<string, RuleEngine>()

/**
 * A scanner for the classes a route asks for at a paranoia level, compiled once at start (and
 * shared by routes asking for the same). Reads the rule set from `policy.crsDirectory` on
 * first use; a missing file throws, naming the config key.
 */
export function injectionScanner(
  classes: ReadonlySet<InjectionClass>,
  paranoia: number = DEFAULT_SCAN_POLICY.paranoia,
  policy: ScanPolicy = DEFAULT_SCAN_POLICY,
): InjectionScanner {
  const ordered = INJECTION_CLASSES.filter((c) => classes.has(c))
  const key = `${policy.crsDirectory}|${ordered.join(',')}|${paranoia}`
  let engine = engines.get(key)
  if (!engine) {
    const set = loadRuleSet(policy.crsDirectory)
    engine = compileEngine(set.rules.filter((r) => classes.has(r.class) && r.paranoia <= paranoia))
    engines.set(key, engine)
  }
  const run = engine
  const threshold = policy.threshold
  const classify = (text: string, place: Place = { name: false, query: false }) => {
    const hits = run(text, place)
    const score = hits.reduce((sum, h) => sum + h.score, 0)
    return score < threshold ? undefined : strongest(hits).class
  }
  return Object.assign(classify, { classes, paranoia, threshold, check: run })
}

/** The hit with the highest score, the first of equals. */
export function strongest(hits: readonly RuleHit[]): RuleHit {
  let best = hits[0]!
  for (const h of hits) if (h.score > best.score) best = h
  return best
}
