import { existsSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  COMPOSE_FILE,
  GENERATED,
  ROOT,
  TOPOLOGY_DOC,
  composeFile,
  topologyDoc,
} from './generated.js'

describe('files generated from the default config (npm run generate)', () => {
  it('docs/topology.md is up to date', () => {
    expect(readFileSync(TOPOLOGY_DOC, 'utf8')).toBe(topologyDoc())
  })

  it('POD-009 a hand-edited compose file that no longer matches the topology description', () => {
    expect(readFileSync(COMPOSE_FILE, 'utf8')).toBe(composeFile())
  })

  it('writes every generated file it checks', () => {
    for (const file of GENERATED)
      expect(existsSync(file.path), relative(ROOT, file.path)).toBe(true)
    expect(GENERATED.map((f) => f.path)).toEqual([TOPOLOGY_DOC, COMPOSE_FILE])
  })
})
