/**
 * Detection and false-positive rates of the injection scan on the project's corpora, per
 * paranoia level and class, against thresholds; and the figures the READMEs show, which must
 * be the measured ones (`npx tsx validators/lib/request/crs/report.ts --write` rewrites them).
 */
import { describe, expect, it } from 'vitest'
import {
  cells,
  CRS_README,
  measure,
  RATES_MARK,
  ratesTable,
  section,
  SKIPPED_MARK,
  skippedTable,
  VALIDATORS_README,
} from './report.js'

const levels = measure()
const rate = ([n, of]: [number, number]) => n / of

describe('injection scan rates (OWASP CRS 3.3.4 and product rules)', () => {
  it('INJ-100 detects the attack corpora and passes the legitimate corpus, per level and class', () => {
    console.log(ratesTable(levels))
    for (const l of levels) console.log(`paranoia ${l.paranoia} refuses:`, l.refused)
    const [pl1, pl2] = levels
    // Level 1, the default: every class at 80 % or more, the whole corpus at 95 %, at most
    // 5 % of ordinary text refused.
    for (const [cls, n, of] of pl1!.detected) expect(n / of, cls).toBeGreaterThanOrEqual(0.8)
    expect(rate(pl1!.all)).toBeGreaterThanOrEqual(0.95)
    expect(rate(pl1!.falsePositives)).toBeLessThanOrEqual(0.05)
    // Higher levels catch at least as much and refuse at least as much.
    for (let i = 1; i < levels.length; i++) {
      expect(levels[i]!.all[0]).toBeGreaterThanOrEqual(levels[i - 1]!.all[0])
      expect(levels[i]!.falsePositives[0]).toBeGreaterThanOrEqual(levels[i - 1]!.falsePositives[0])
    }
    expect(rate(pl2!.all)).toBeGreaterThanOrEqual(0.98)
  })

  it('INJ-101 validators/README.md shows the measured rates', () => {
    const shown = section(VALIDATORS_README, RATES_MARK)
    expect(shown, `${VALIDATORS_README} lacks <!-- ${RATES_MARK}:start/end -->`).toBeDefined()
    expect(cells(shown!), `expected in ${VALIDATORS_README}:\n${ratesTable(levels)}`).toEqual(
      cells(ratesTable(levels)),
    )
  })

  it('INJ-102 crs/README.md lists every rule of the kept families that does not run, with why', () => {
    const shown = section(CRS_README, SKIPPED_MARK)
    expect(shown).toBeDefined()
    expect(cells(shown!), `expected in ${CRS_README}:\n${skippedTable()}`).toEqual(
      cells(skippedTable()),
    )
    // libinjection's rules are among them.
    expect(skippedTable()).toMatch(/\| 942100 \|.*libinjection/)
    expect(skippedTable()).toMatch(/\| 941100 \|.*libinjection/)
  })
})
