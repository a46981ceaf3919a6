import { LinkPool } from './link/pool.js'
import { RateQuota } from './quota/object.js'
import { createFetchHandler } from './worker.js'

export default {
  fetch: createFetchHandler(),
} satisfies ExportedHandler<Env>

export { LinkPool, RateQuota }
