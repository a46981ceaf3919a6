import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { BEARER, REVOCATION_GRACE_SECONDS, epochSeconds, newJti } from '../shared/index.js'
import { refusal } from '../testing/expect.js'
import type { BearerEnv } from './env.js'
import { BearerTokenService } from './index.js'
import { shardOf } from './revoke.js'

const service = (exports as unknown as { BearerTokenService: Service<BearerTokenService> })
  .BearerTokenService
const { REVOCATIONS } = env as unknown as BearerEnv

function shardStub(jti: string) {
  return REVOCATIONS.get(REVOCATIONS.idFromName(shardOf(jti)))
}

/** The rows a shard holds for these jtis. */
function rows(jtis: string[]): Promise<Array<{ jti: string; keep_until: number }>> {
  return runInDurableObject(shardStub(jtis[0]!), (_instance, state) =>
    state.storage.sql
      .exec<{ jti: string; keep_until: number }>(
        `SELECT jti, keep_until FROM revoked WHERE jti IN (${jtis.map(() => '?').join(',')}) ORDER BY keep_until`,
        ...jtis,
      )
      .toArray(),
  )
}

/** Two fresh jtis that land in the same shard. */
function sameShard(): [string, string] {
  const first = newJti()
  for (;;) {
    const other = newJti()
    if (shardOf(other) === shardOf(first)) return [first, other]
  }
}

describe('revocations', () => {
  it('TOKEN-025 a revoked jti reads as revoked through the service binding; other jtis do not', async () => {
    const { token } = await service.mint({ sub: 'alice' })
    const { jti, exp } = decodeJwt(token) as { jti: string; exp: number }
    expect(await service.isRevoked(jti)).toBe(false)
    await service.revoke(jti, exp)
    expect(await service.isRevoked(jti)).toBe(true)
    // Revoking twice is harmless; another token stays valid.
    await service.revoke(jti, exp)
    expect(await service.isRevoked(jti)).toBe(true)
    expect(await service.isRevoked(newJti())).toBe(false)
  })

  it('TOKEN-026 an entry is kept until its token expires (plus grace); the alarm deletes it and is set again for the next one', async () => {
    const now = epochSeconds(Date.now())
    const [soon, later] = sameShard()
    await service.revoke(soon, now + 60)
    await service.revoke(later, now + 3600)
    expect(await rows([soon, later])).toEqual([
      { jti: soon, keep_until: now + 60 + REVOCATION_GRACE_SECONDS },
      { jti: later, keep_until: now + 3600 + REVOCATION_GRACE_SECONDS },
    ])
    const stub = shardStub(soon)
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())
    expect(alarm).not.toBeNull()
    expect(alarm!).toBeLessThanOrEqual((now + 60 + REVOCATION_GRACE_SECONDS) * 1000)

    // Time passes for the first entry: past its keep date it reads as not revoked at once,
    // and the alarm deletes the row and is set again for the entry that is left.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec('UPDATE revoked SET keep_until = ? WHERE jti = ?', now - 1, soon)
    })
    expect(await service.isRevoked(soon)).toBe(false)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await rows([soon, later])).toEqual([
      { jti: later, keep_until: now + 3600 + REVOCATION_GRACE_SECONDS },
    ])
    expect(await service.isRevoked(later)).toBe(true)
    const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())
    expect(next).toBe((now + 3600 + REVOCATION_GRACE_SECONDS) * 1000)

    // And once that one is past too, the shard holds nothing for them and sets no alarm
    // for them.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec('UPDATE revoked SET keep_until = ? WHERE jti = ?', now - 1, later)
    })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await rows([soon, later])).toEqual([])
  })

  it('TOKEN-027 no unbounded growth: a far-future expiry is kept no longer than the longest bearer lifetime, an expired token is not stored', async () => {
    const now = epochSeconds(Date.now())
    const [far, dead] = sameShard()
    await service.revoke(far, Number.MAX_SAFE_INTEGER)
    await service.revoke(dead, now - REVOCATION_GRACE_SECONDS - 10)
    const stored = await rows([far, dead])
    expect(stored).toHaveLength(1)
    expect(stored[0]!.jti).toBe(far)
    expect(stored[0]!.keep_until).toBeLessThanOrEqual(
      now + 5 + BEARER.maxTtlSeconds + REVOCATION_GRACE_SECONDS,
    )
    expect(await service.isRevoked(dead)).toBe(false)
  })

  it('TOKEN-028 revoke and isRevoked refuse a jti these services never mint (paths, SQL, oversize) with REVOKE_REQUEST_INVALID', async () => {
    await refusal(service.isRevoked('../x'), 'REVOKE_REQUEST_INVALID')
    // The rest called directly: a refusal through the test pool's loopback logs noisily.
    const direct = new BearerTokenService(createExecutionContext(), env as unknown as BearerEnv)
    for (const jti of [
      '',
      'short',
      "x' OR '1'='1' --",
      '../../etc/passwd',
      'a'.repeat(65),
      'AAAAAAAAAAAAAAAAAAAAAA\n',
      42,
    ]) {
      await refusal(direct.revoke(jti as string, 4_102_444_800), 'REVOKE_REQUEST_INVALID')
      await refusal(direct.isRevoked(jti as string), 'REVOKE_REQUEST_INVALID')
    }
    for (const expiresAt of [0, -1, 1.5, Number.NaN, '4102444800', 2 ** 60]) {
      await refusal(direct.revoke(newJti(), expiresAt as number), 'REVOKE_REQUEST_INVALID')
    }
  })
})
