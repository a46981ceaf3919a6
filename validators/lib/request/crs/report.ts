/**
 * The figures validators/README.md and crs/README.md show, computed from the installed rule
 * set and the corpora: detection and false-positive rates per paranoia level and class, and
 * the rules that cannot run, with why. rates.test.ts fails when the files differ from these;
 * `npx tsx validators/lib/request/crs/report.ts --write` writes them.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_SCAN_POLICY, PARANOIA_LEVELS } from '../../../../core/index.js'
import { injectionScanner } from '../injection.js'
import { ATTACK_CORPUS } from './corpora/attacks.js'
import { LEGITIMATE_CORPUS } from './corpora/legitimate.js'
import { INJECTION_CLASSES, type InjectionClass } from './families.js'
import { loadRuleSet } from './load.js'

const HERE = dirname(fileURLToPath(import.meta.url))
export const VALIDATORS_README = join(HERE, '..', '..', '..', 'README.md')
export const CRS_README = join(HERE, 'README.md')
export const RATES_MARK = 'injection-rates'
export const SKIPPED_MARK = 'crs-not-run'

export interface LevelRates {
  paranoia: number
  /** Per class: [caught, total] by a scanner of that class alone. */
  detected: Array<[InjectionClass, number, number]>
  /** Every attack, by a scanner of every class. */
  all: [number, number]
  /** Legitimate strings refused by a scanner of every class, and by the four classes of the demo. */
  falsePositives: [number, number]
  demoFalsePositives: [number, number]
  /** The legitimate strings every-class refuses. */
  refused: string[]
}

const VALUE = { name: false, query: false }
const DEMO_CLASSES: InjectionClass[] = ['sql', 'xss', 'command', 'path']

export function measure(directory = DEFAULT_SCAN_POLICY.crsDirectory): LevelRates[] {
  const policy = { ...DEFAULT_SCAN_POLICY, crsDirectory: directory }
  const legit = Object.values(LEGITIMATE_CORPUS).flat()
  const attacks = Object.values(ATTACK_CORPUS).flat()
  return PARANOIA_LEVELS.map((paranoia) => {
    const every = injectionScanner(new Set(INJECTION_CLASSES), paranoia, policy)
    const demo = injectionScanner(new Set(DEMO_CLASSES), paranoia, policy)
    const detected: LevelRates['detected'] = []
    for (const cls of INJECTION_CLASSES) {
      const list = ATTACK_CORPUS[cls]
      if (!list) continue
      const only = injectionScanner(new Set([cls]), paranoia, policy)
      detected.push([cls, list.filter((t) => only(t, VALUE) !== undefined).length, list.length])
    }
    const refused = legit.filter((t) => every(t, VALUE) !== undefined)
    return {
      paranoia,
      detected,
      all: [attacks.filter((t) => every(t, VALUE) !== undefined).length, attacks.length],
      falsePositives: [refused.length, legit.length],
      demoFalsePositives: [legit.filter((t) => demo(t, VALUE) !== undefined).length, legit.length],
      refused,
    }
  })
}

const pct = ([n, of]: [number, number]) => `${n}/${of} (${((100 * n) / of).toFixed(1)} %)`

export function ratesTable(levels: readonly LevelRates[]): string {
  const classes = levels[0]!.detected.map(([c]) => c)
  const head = [
    'paranoia',
    ...classes,
    'all attacks',
    'false positives',
    'false positives (demo classes)',
  ]
  const rows = levels.map((l) => [
    String(l.paranoia),
    ...l.detected.map(([, n, of]) => `${n}/${of}`),
    pct(l.all),
    pct(l.falsePositives),
    pct(l.demoFalsePositives),
  ])
  return markdown(head, rows)
}

export function skippedTable(directory = DEFAULT_SCAN_POLICY.crsDirectory): string {
  const set = loadRuleSet(directory)
  const rows = [...set.skipped]
    .sort((a, b) => a.id - b.id)
    .map((s) => [String(s.id), s.class, String(s.paranoia), s.reason.replaceAll('|', '\\|')])
  return markdown(['rule', 'class', 'paranoia', 'why it does not run'], rows)
}

function markdown(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

/** A markdown table as rows of trimmed cells, alignment row left out (prettier pads cells). */
export function cells(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .filter((l) => l.trim().startsWith('|') && !/^\|[\s:|-]+\|$/.test(l.trim()))
    .map((l) =>
      l
        .trim()
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    )
}

/** The text between `<!-- mark:start -->` and `<!-- mark:end -->` in a file. */
export function section(file: string, mark: string): string | undefined {
  const text = readFileSync(file, 'utf8')
  const start = text.indexOf(`<!-- ${mark}:start -->`)
  const end = text.indexOf(`<!-- ${mark}:end -->`)
  if (start < 0 || end < start) return undefined
  return text.slice(start + `<!-- ${mark}:start -->`.length, end)
}

function writeSection(file: string, mark: string, body: string): void {
  const text = readFileSync(file, 'utf8')
  const open = `<!-- ${mark}:start -->`
  const close = `<!-- ${mark}:end -->`
  const start = text.indexOf(open)
  const end = text.indexOf(close)
  if (start < 0 || end < start) throw new Error(`${file} has no ${open} ... ${close}`)
  writeFileSync(file, `${text.slice(0, start + open.length)}\n\n${body}\n\n${text.slice(end)}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  const levels = measure()
  writeSection(VALIDATORS_README, RATES_MARK, ratesTable(levels))
  writeSection(CRS_README, SKIPPED_MARK, skippedTable())
  for (const l of levels) console.log(`paranoia ${l.paranoia} refuses`, l.refused)
}
