import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { accessAudienceOf } from '../../core/index.js'
import { bearerToken, policyWithAllPorts, recordingLink, tokenServices } from '../testing/index.js'
import { createIngress, type TokenServices } from './index.js'

// The ingress inside workerd with the real token workers: two upstream hosts, `demo` and
// `wide`; the access token the envelope carries names the host it is for.
const EDGE = 'https://edge.test'

function setup() {
  const real = tokenServices()
  const asked: string[] = []
  const tokens: TokenServices = {
    access: {
      mint: (r) => (asked.push(r.aud), real.access.mint(r)),
      jwks: () => real.access.jwks(),
    },
    bearer: real.bearer,
  }
  const link = recordingLink()
  const app = createIngress({ policy: policyWithAllPorts('LAB'), link, tokens, now: Date.now })
  const get = (path: string, token: string) =>
    app.fetch(new Request(EDGE + path, { headers: { authorization: `Bearer ${token}` } }))
  return { get, link, asked }
}

describe('ingress: access tokens name their upstream host', () => {
  it('AUTH-307 the access token for a request to host demo has aud portcullis:demo, to host wide portcullis:wide; one mint per host, cached per host', async () => {
    const { get, link, asked } = setup()
    const token = await bearerToken(['orders'])
    for (let i = 0; i < 2; i++) {
      expect((await get('/demo/orders', token)).status).toBe(200)
      expect((await get('/wide/ping', token)).status).toBe(200)
    }
    expect(asked).toEqual([accessAudienceOf('demo'), accessAudienceOf('wide')])
    const [demo1, wide1, demo2, wide2] = link.sent.map((s) => s.request)
    expect(decodeJwt(demo1!.actor!).aud).toBe('portcullis:demo')
    expect(decodeJwt(wide1!.actor!).aud).toBe('portcullis:wide')
    expect(demo2!.actor).toBe(demo1!.actor)
    expect(wide2!.actor).toBe(wide1!.actor)
    expect(wide1!.actor).not.toBe(demo1!.actor)
  })
})
