/**
 * The import walls of eslint.config.js hold: each probe is an import a folder's README forbids
 * (or allows), linted as if it were a file of that folder.
 */
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const eslint = new ESLint({
  // The probes are in no tsconfig: lint them without type information, import rules only.
  overrideConfig: {
    languageOptions: { parserOptions: { project: null, projectService: false } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/await-thenable': 'off',
    },
  },
})

async function importErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\n`, { filePath: file })
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`)
}

const refused: [id: string, file: string, source: string, attack: string][] = [
  [
    'WALL-001',
    'core/policy/probe.ts',
    "import { loadConfig } from '../../config/index.js'",
    'core reaches into config (core must stay pure and shared)',
  ],
  ['WALL-002', 'core/probe.ts', "import { readFileSync } from 'node:fs'", 'core does file I/O'],
  ['WALL-003', 'core/tokens/probe.ts', "import Ajv from 'ajv'", 'core takes a package of its own'],
  [
    'WALL-004',
    'edge/ingress/probe.ts',
    "import { describeTopology } from '../../topology/index.js'",
    'the edge imports on-prem code',
  ],
  ['WALL-005', 'edge/link/probe.ts', "import { connect } from 'node:net'", 'the edge needs node:*'],
  [
    'WALL-006',
    'edge/ingress/probe.ts',
    "import { fake } from '../testing/index.js'",
    'the worker imports its test doubles',
  ],
  [
    'WALL-007',
    'bridge/relay/probe.ts',
    "import { createRequestValidator } from '../../validators/request/handler.js'",
    'one stage imports another stage',
  ],
  [
    'WALL-008',
    'validators/lib/probe.ts',
    "import { start } from '../request/start.js'",
    'the validator library imports a validator process',
  ],
  [
    'WALL-009',
    'bus/probe.ts',
    "import { loadConfig } from '../config/index.js'",
    'a bus module loads config instead of being handed it',
  ],
  [
    'WALL-010',
    'token-services/access/probe.ts',
    "import { verify } from '../bearer/verify.js'",
    'one token worker imports the other',
  ],
  [
    'WALL-011',
    'demo/probe.ts',
    "import { subjects } from '../core/index.js'",
    'the demo upstream (the other side of the wall) imports the gateway',
  ],
  [
    'WALL-012',
    'validators/request/probe.ts',
    "import { x } from '../../../outside.js'",
    'an import climbs out of the repository',
  ],
  [
    'WALL-013',
    'topology/description/probe.ts',
    "import { ensureCredentials } from '../actions/ensure-credentials.js'",
    'the pure topology description reaches for disk or processes',
  ],
  [
    'WALL-014',
    'topology/description/probe.ts',
    "import { stopOnExit } from '../../runtime/children.js'",
    'the pure topology description starts or stops processes',
  ],
]

describe('import walls', () => {
  for (const [id, file, source, attack] of refused) {
    it(`${id} refused: ${attack}`, async () => {
      const errors = await importErrors(file, source)
      expect(errors.join('\n')).toMatch(/no-restricted-imports/)
    })
  }

  it('WALL-020 allowed imports pass: within a room, a room it may use, types only where only types are allowed', async () => {
    expect(
      await importErrors('core/policy/probe.ts', "import { x } from '../errors/index.js'"),
    ).toEqual([])
    expect(
      await importErrors('bus/probe.ts', "import type { LoadedConfig } from '../config/index.js'"),
    ).toEqual([])
    expect(
      await importErrors('backend/probe.ts', "import { x } from '../validators/lib/index.js'"),
    ).toEqual([])
    expect(await importErrors('edge/link/probe.ts', "import { Hono } from 'hono'")).toEqual([])
    expect(await importErrors('core/tokens/probe.ts', "import { jwtVerify } from 'jose'")).toEqual(
      [],
    )
  })
})
