/**
 * The catalog of security tests: every test whose name starts with a stable id
 * (`PORT-001 ...`), gathered from the test files into docs/security-tests.md.
 * `npm run catalog` writes it; a unit test fails when it is out of date or an id is reused.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const CATALOG_FILE = join(ROOT, 'docs', 'security-tests.md')

export interface CatalogEntry {
  id: string
  description: string
  file: string
}

const SKIP = new Set(['node_modules', '.git', '.portcullis', '.wrangler'])
/**
 * A test name that starts with an id: `it('ID ...'`, the name after an `it.each(table)`
 * (`)('ID ...'`), or a row of such a table (`['ID ...'`). Each form is matched on its own so
 * no match can span from one test to another.
 */
const STRING = (quote: number) =>
  `(['"\`])([A-Z]{2,8}-\\d{3}) ((?:(?!\\${quote})[^\\\\]|\\\\.)*)\\${quote}`
const NAMED = new RegExp(
  [`(?:\\bit|\\btest)\\(\\s*${STRING(1)}`, `\\)\\(\\s*${STRING(4)}`, `\\[\\s*${STRING(7)}`].join(
    '|',
  ),
  'g',
)

/**
 * Test files, and case tables (`*.cases.ts`): one table of attacks that several test files
 * run (a unit runner and an integration runner) keeps its ids in one place.
 */
function testFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...testFiles(path))
    else if (entry.name.endsWith('.test.ts') || entry.name.endsWith('.cases.ts')) out.push(path)
  }
  return out
}

export function collect(root = ROOT): CatalogEntry[] {
  const entries: CatalogEntry[] = []
  for (const path of testFiles(root).sort()) {
    const text = readFileSync(path, 'utf8')
    for (const m of text.matchAll(NAMED)) {
      const id = m[2] ?? m[5] ?? m[8]!
      const description = (m[3] ?? m[6] ?? m[9]!).replace(/\s+/g, ' ').trim()
      entries.push({ id, description, file: relative(root, path) })
    }
  }
  return entries.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))
}

/** Ids used by more than one test. */
export function reusedIds(entries: CatalogEntry[]): string[] {
  const seen = new Map<string, number>()
  for (const e of entries) seen.set(e.id, (seen.get(e.id) ?? 0) + 1)
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id)
}

export function renderCatalog(entries: CatalogEntry[]): string {
  const families = new Map<string, CatalogEntry[]>()
  for (const e of entries) {
    const family = e.id.split('-')[0]!
    families.set(family, [...(families.get(family) ?? []), e])
  }
  const lines = [
    '# Security tests',
    '',
    'Generated from the test files by `npm run catalog`; a test fails when this file is out of',
    'date. Each row is one attack or refusal that a test proves fails; the id is stable.',
    '',
    `${entries.length} tests in ${families.size} families.`,
    '',
  ]
  for (const [family, rows] of families) {
    lines.push(`## ${family}`, '', '| id | what is tried and refused | test |', '|---|---|---|')
    for (const r of rows)
      lines.push(`| ${r.id} | ${r.description.replaceAll('|', '\\|')} | \`${r.file}\` |`)
    lines.push('')
  }
  return lines.join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const entries = collect()
  const reused = reusedIds(entries)
  if (reused.length) {
    process.stderr.write(`ids used by more than one test: ${reused.join(', ')}\n`)
    process.exit(1)
  }
  writeFileSync(CATALOG_FILE, renderCatalog(entries))
  process.stdout.write(
    `${entries.length} security tests written to ${relative(ROOT, CATALOG_FILE)}\n`,
  )
}
