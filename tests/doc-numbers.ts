/**
 * Numbers quoted in the docs, read back so a test can compare them with what they count.
 * A doc's lines are joined first: a quoted figure may wrap across lines.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The numbers `pattern`'s groups capture in `file` (repo-relative), thousands commas dropped. */
export function quotedNumbers(file: string, pattern: RegExp): number[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/\s+/g, ' ')
  const match = pattern.exec(text)
  if (!match) throw new Error(`${file} no longer quotes ${pattern}: update the doc or the test`)
  return match.slice(1).map((n) => (n === undefined ? Number.NaN : Number(n.replaceAll(',', ''))))
}
