import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CATALOG_FILE, collect, renderCatalog, reusedIds } from './catalog.js'

describe('security test catalog', () => {
  const entries = collect()

  it('finds the security tests', () => {
    expect(entries.length).toBeGreaterThan(50)
  })

  it('gives every id to one test only', () => {
    expect(reusedIds(entries)).toEqual([])
  })

  it('docs/security-tests.md is up to date (npm run catalog)', () => {
    expect(existsSync(CATALOG_FILE)).toBe(true)
    expect(readFileSync(CATALOG_FILE, 'utf8')).toBe(renderCatalog(entries))
  })
})
