/** Small helpers for the HTTP listeners of on-prem processes (metrics, the console). */
import type { Server } from 'node:http'

/** Closes `server` now: a scraper or a browser keeps its connection open, `close` would wait. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
