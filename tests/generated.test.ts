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

  it('docs/topology-<mode>.md of the other modes are up to date', () => {
    const others = GENERATED.filter((f) => /topology-.*\.md$/.test(f.path))
    expect(others.map((f) => relative(ROOT, f.path))).toEqual([
      'docs/topology-single-nats.md',
      'docs/topology-single-validation.md',
    ])
    for (const file of others) expect(readFileSync(file.path, 'utf8')).toBe(file.render())
  })

  it('writes every generated file it checks', () => {
    for (const file of GENERATED)
      expect(existsSync(file.path), relative(ROOT, file.path)).toBe(true)
    expect(GENERATED.map((f) => f.path)).toContain(TOPOLOGY_DOC)
    expect(GENERATED.map((f) => f.path)).toContain(COMPOSE_FILE)
  })
})
