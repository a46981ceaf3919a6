import { createUser } from '@nats-io/nkeys'
import { describe, expect, it } from 'vitest'
import { parseUserCreds } from './user-creds.js'

const seed = new TextDecoder().decode(createUser().getSeed())
const jwt = 'eyJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQSJ9.c2ln'
const creds = (eol: string) =>
  [
    '-----BEGIN NATS USER JWT-----',
    jwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    '',
    '-----BEGIN USER NKEY SEED-----',
    seed,
    '------END USER NKEY SEED------',
    '',
  ].join(eol)

describe('parseUserCreds', () => {
  it('reads the user JWT and seed of a creds file, LF or CRLF', () => {
    expect(parseUserCreds(creds('\n'))).toEqual({ jwt, seed })
    expect(parseUserCreds(creds('\r\n'))).toEqual({ jwt, seed })
  })

  it('is not a creds file without both blocks, or with a block not closed as nsc closes it', () => {
    expect(parseUserCreds(creds('\n').replace(/-----BEGIN USER NKEY SEED[\s\S]*/, ''))).toBe(
      undefined,
    )
    expect(parseUserCreds(creds('\n').replace('------END NATS USER JWT------', '-----END'))).toBe(
      undefined,
    )
    expect(parseUserCreds(creds('\n').replace(seed, 'SA' + seed.slice(2)))).toBe(undefined)
    expect(parseUserCreds(seed)).toBe(undefined)
  })
})
