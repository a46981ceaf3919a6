import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkpointPayload, checkpointProblem, signCheckpoint } from './checkpoint.js'
import { auditKeyIdOf } from './keys.js'

const { privateKey, publicKey } = generateKeyPairSync('ed25519')
const keyId = auditKeyIdOf(publicKey)
const head = { seq: 42, headHash: 'ab'.repeat(32), time: '2024-05-01T12:00:00.123000Z' }

describe('checkpoints', () => {
  it('signs the documented payload and checks out with the public key', () => {
    const c = signCheckpoint(head, privateKey, keyId)
    expect(checkpointPayload(c)).toBe(
      `["portcullis-audit-checkpoint-v1",42,"${'ab'.repeat(32)}","2024-05-01T12:00:00.123000Z","${keyId}"]`,
    )
    expect(Buffer.from(c.signature, 'base64')).toHaveLength(64)
    expect(checkpointProblem(c, [publicKey])).toBeUndefined()
  })

  it('fails when any signed field changes', () => {
    const c = signCheckpoint(head, privateKey, keyId)
    for (const change of [
      { seq: 43 },
      { headHash: 'cd'.repeat(32) },
      { time: '2024-05-01T12:00:01.123000Z' },
    ])
      expect(checkpointProblem({ ...c, ...change }, [publicKey])).toMatch(/does not match/)
    expect(checkpointProblem({ ...c, signature: 'AAAA' }, [publicKey])).toMatch(/not a base64/)
  })

  it('fails for a key that was not given, even when its own signature is good', () => {
    const other = generateKeyPairSync('ed25519')
    const forged = signCheckpoint(head, other.privateKey, auditKeyIdOf(other.publicKey))
    expect(checkpointProblem(forged, [publicKey])).toMatch(/not among the keys given/)
    // Claiming the right key id does not help: the signature is checked with that key.
    expect(checkpointProblem({ ...forged, keyId }, [publicKey])).toMatch(/does not match/)
  })
})
