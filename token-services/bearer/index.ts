import { notFound } from '../shared/index.js'
import type { BearerEnv } from './env.js'
import { Revocations } from './revocations.js'
import { BearerTokenService } from './service.js'

export default {
  fetch: notFound,
} satisfies ExportedHandler<BearerEnv>

export { BearerTokenService, Revocations }
