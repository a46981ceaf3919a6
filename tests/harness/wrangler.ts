/** The edge under `wrangler dev` for tests: the CLI's own launcher, with its lines kept. */
import type { LoadedConfig } from '../../config/index.js'
import { startEdgeDev, type EdgeDev } from '../../cli/edge-dev.js'

export { edgeDevConfig, linkUrlOf } from '../../cli/edge-dev.js'

export interface WranglerDev extends EdgeDev {
  /** The last lines wrangler and workerd printed. */
  logs: string[]
}

export async function startWranglerDev(opts: {
  dir: string
  config: LoadedConfig
  keysDir: string
  port: number
  linkUrl?: string
  onLine?: (line: string) => void
}): Promise<WranglerDev> {
  const logs: string[] = []
  const edge = await startEdgeDev({
    ...opts,
    onLine: (line) => {
      logs.push(line)
      if (logs.length > 500) logs.shift()
      opts.onLine?.(line)
    },
  })
  return { ...edge, logs }
}
