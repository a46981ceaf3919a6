/**
 * Free TCP ports on the loopback interface for the listeners a throwaway stack will open. A
 * port is free when returned, not reserved: bind it soon.
 *
 * They are picked at random below the kernel's ephemeral range, not asked from the kernel
 * (port 0): the kernel hands out port-0 listeners and the local ports of outgoing connections
 * from the same range, so in a busy run a connection could take a port between its choice
 * and the listener's bind ("already in use"). Below that range only another listener can.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'

/** Lowest port handed out: above the registered services most hosts run. */
const LOWEST = 20_000
/** Linux's default ephemeral range starts here (`/proc/sys/net/ipv4/ip_local_port_range`). */
const DEFAULT_EPHEMERAL_START = 32_768
const ATTEMPTS_PER_PORT = 50

/** The first port of the kernel's ephemeral range: listeners get ports below it. */
function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number)
    if (low !== undefined && Number.isInteger(low) && low > LOWEST + 1_000) return low
  } catch {
    // Not Linux, or no procfs: the default range.
  }
  return DEFAULT_EPHEMERAL_START
}

function listen(host: string, port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(undefined))
    server.listen(port, host, () => resolve(server))
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/** `count` distinct free ports: all are held open together, so none is handed out twice. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const end = ephemeralStart()
  const servers: Server[] = []
  const ports: number[] = []
  try {
    for (let i = 0; i < count; i++) {
      let server: Server | undefined
      for (let attempt = 0; !server && attempt < ATTEMPTS_PER_PORT; attempt++) {
        const port = LOWEST + Math.floor(Math.random() * (end - LOWEST))
        if (ports.includes(port)) continue
        server = await listen(host, port)
        if (server) ports.push(port)
      }
      if (!server) throw new Error(`no free port on ${host} between ${LOWEST} and ${end - 1}`)
      servers.push(server)
    }
    return ports
  } finally {
    await Promise.all(servers.map(close))
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host)
  return port!
}
