/**
 * Free TCP ports on the loopback interface, asked from the kernel (port 0). A port is free
 * when returned, not reserved: bind it soon.
 */
import { createServer, type Server } from 'node:net'

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => resolve(server))
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/** `count` distinct free ports: all are held open together, so none is handed out twice. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(host))
    return servers.map((s) => {
      const address = s.address()
      if (address === null || typeof address === 'string') {
        throw new Error('unreachable: a TCP listener has a port')
      }
      return address.port
    })
  } finally {
    await Promise.all(servers.map(close))
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host)
  return port!
}
