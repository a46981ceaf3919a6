/**
 * Vitest global setup (runs in Node): a key server no token may make the edge contact. Tests
 * point `jku` and `x5u` at `trapUrl` and read how often it was asked from `trapHitsUrl` (a
 * second listener, so reading the count is not itself a hit).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let hits = 0
  const trap = createServer((_req, res) => {
    hits++
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}')
  })
  const counter = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hits }))
  })
  const listen = (server: ReturnType<typeof createServer>) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    )
  project.provide('trapUrl', `http://127.0.0.1:${await listen(trap)}/jwks.json`)
  project.provide('trapHitsUrl', `http://127.0.0.1:${await listen(counter)}/hits`)
  return async () => {
    trap.closeAllConnections()
    counter.closeAllConnections()
    await Promise.all(
      [trap, counter].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    )
  }
}
