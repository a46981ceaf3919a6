/**
 * A signed checkpoint: the chain's head (its seq and hash) at a time, signed with the
 * checkpoint key. What is signed:
 *
 *   JSON.stringify(['portcullis-audit-checkpoint-v1', seq, headHash, time, keyId])
 *
 * as UTF-8, Ed25519, the signature in base64. `time` has the row encoding's form (UTC,
 * microseconds). Whoever holds a checkpoint and the public key can later prove that the
 * first `seq` rows were exactly these.
 */
import { sign, verify, type KeyObject } from 'node:crypto'
import { CHECKPOINT_ENCODING } from './constants.js'
import { auditKeyIdOf } from './keys.js'

export interface AuditCheckpoint {
  /** The seq of the chain's last row when it was signed. */
  seq: number
  /** That row's hash. */
  headHash: string
  /** UTC with microseconds: `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  time: string
  keyId: string
  /** Ed25519 over `checkpointPayload(...)`, base64. */
  signature: string
}

export function checkpointPayload(c: Omit<AuditCheckpoint, 'signature'>): string {
  return JSON.stringify([CHECKPOINT_ENCODING, c.seq, c.headHash, c.time, c.keyId])
}

export function signCheckpoint(
  head: { seq: number; headHash: string; time: string },
  privateKey: KeyObject,
  keyId: string,
): AuditCheckpoint {
  const unsigned = { ...head, keyId }
  const signature = sign(null, Buffer.from(checkpointPayload(unsigned)), privateKey)
  return { ...unsigned, signature: signature.toString('base64') }
}

/** Why the checkpoint does not check out against these keys, or undefined when it does. */
export function checkpointProblem(
  c: AuditCheckpoint,
  publicKeys: readonly KeyObject[],
): string | undefined {
  const key = publicKeys.find((k) => auditKeyIdOf(k) === c.keyId)
  if (!key) return `it names key ${c.keyId}, which is not among the keys given`
  const signature = Buffer.from(c.signature, 'base64')
  if (signature.length !== 64 || signature.toString('base64') !== c.signature)
    return 'its signature is not a base64 Ed25519 signature'
  if (!verify(null, Buffer.from(checkpointPayload(c)), key, signature))
    return 'its signature does not match its seq, head hash, time and key'
  return undefined
}
