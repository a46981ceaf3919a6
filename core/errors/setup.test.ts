import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  describeSetupError,
  isSetupErrorCode,
  SETUP_ERROR_TABLE,
  SetupError,
  type SetupErrorCode,
} from './setup.js'

/** The codes of the README's "Setup errors" table, in its order. */
function documentedCodes(): string[] {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8')
  const section = readme.split(/^## Setup errors$/m)[1]?.split(/^## /m)[0] ?? ''
  return [...section.matchAll(/^\| `([A-Z_]+)` /gm)].map((m) => m[1]!)
}

describe('setup errors', () => {
  it('the README lists exactly the codes of SETUP_ERROR_TABLE', () => {
    const documented = documentedCodes()
    expect(new Set(documented).size).toBe(documented.length)
    expect([...documented].sort()).toEqual(Object.keys(SETUP_ERROR_TABLE).sort())
  })

  it("an error carries its code, key, file and the table's action unless given one", () => {
    const e = new SetupError('CONFIG_INVALID', 'config edge.port: must be a port', {
      key: 'edge.port',
      file: '/etc/portcullis.yaml',
    })
    expect(e).toMatchObject({
      code: 'CONFIG_INVALID',
      key: 'edge.port',
      file: '/etc/portcullis.yaml',
    })
    expect(e.action).toBe(SETUP_ERROR_TABLE.CONFIG_INVALID.action)
    expect(describeSetupError(e)).toBe(
      `CONFIG_INVALID: config edge.port: must be a port (${SETUP_ERROR_TABLE.CONFIG_INVALID.action})`,
    )
    const own = new SetupError('KEY_MISSING', 'no key', { action: 'copy it from the vault' })
    expect(own.action).toBe('copy it from the vault')
  })

  it('isSetupErrorCode takes the table keys and nothing else', () => {
    for (const code of Object.keys(SETUP_ERROR_TABLE)) expect(isSetupErrorCode(code)).toBe(true)
    for (const other of ['INTERNAL_ERROR', 'toString', '', 42, undefined] as unknown[]) {
      expect(isSetupErrorCode(other)).toBe(false)
    }
    const code: SetupErrorCode = 'ARGUMENT_INVALID'
    expect(SETUP_ERROR_TABLE[code].title).toMatch(/argument/)
  })
})
