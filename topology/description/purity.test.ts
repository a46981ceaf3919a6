import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

/** The description half's product code, as text. */
const sources = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => ({ file: f, text: readFileSync(`${import.meta.dirname}/${f}`, 'utf8') }))

describe('the description half is pure', () => {
  it('imports no node:* module and nothing from the acting half', () => {
    for (const { file, text } of sources) {
      expect(text, file).not.toMatch(/from ['"]node:/)
      expect(text, file).not.toMatch(/from ['"]\.\.\/actions\//)
    }
  })

  it('reads no clock and touches no process of its own', () => {
    for (const { file, text } of sources) {
      expect(text, file).not.toMatch(/\bDate\.now\b|\bnew Date\(|\bperformance\.now\b|\bprocess\./)
    }
  })
})
