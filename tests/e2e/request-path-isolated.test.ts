/**
 * The request path on the isolated topology, on one stack that also serves two suites needing
 * a stack of this shape: an external identity provider (identity-provider.cases.ts) and an
 * upstream nobody here wrote (third-party-upstream.cases.ts). One start for the three.
 */
import { afterAll, beforeAll } from 'vitest'
import { mergeConfig } from '../../config/index.js'
import { startTestIdp, type TestIdp } from '../harness/idp.js'
import { startPrism, type PrismUpstream } from '../harness/prism.js'
import { identityProviderOverrides, identityProviderSuite } from './identity-provider.cases.js'
import { requestPathSuite } from './request-path.cases.js'
import {
  thirdPartyUpstreamOverrides,
  thirdPartyUpstreamSuite,
  USPTO_DOCUMENT,
} from './third-party-upstream.cases.js'

let idp: TestIdp
let prism: PrismUpstream

beforeAll(async () => {
  ;[idp, prism] = await Promise.all([startTestIdp(), startPrism(USPTO_DOCUMENT)])
})

afterAll(async () => {
  await idp?.stop()
  await prism?.stop()
})

const stack = requestPathSuite('isolated', {
  overrides: () => mergeConfig(identityProviderOverrides(idp), thirdPartyUpstreamOverrides(prism)),
})
identityProviderSuite(stack, () => idp)
thirdPartyUpstreamSuite(stack, () => prism)
