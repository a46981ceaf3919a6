/**
 * Vitest global setup (runs in Node): a TCP listener that accepts connections and never says
 * a word, so tests can prove that a link connect which never completes cannot hang a request.
 */
import { createServer, type Socket } from 'node:net'
import type { TestProject } from 'vitest/node'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port for the blackhole')
  project.provide('blackholeUrl', `ws://127.0.0.1:${address.port}`)
  return async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
