import { notFound } from '../shared/index.js'
import type { AccessEnv } from './env.js'
import { AccessTokenService } from './service.js'

export default {
  fetch: notFound,
} satisfies ExportedHandler<AccessEnv>

export { AccessTokenService }
