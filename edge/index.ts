import { LinkPool } from './link/pool.js'
import { createFetchHandler } from './worker.js'

export default {
  fetch: createFetchHandler(),
} satisfies ExportedHandler<Env>

export { LinkPool }
