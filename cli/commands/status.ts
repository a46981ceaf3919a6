/** `portcullis status`: which components of the local stack answer on their ports. */
import { connect } from 'node:net'
import { loadConfig } from '../../config/index.js'
import { describeTopology } from '../../topology/index.js'
import { configFile } from '../args.js'

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => (socket.destroy(), resolve(false)))
  })
}

export async function status(args: string[]): Promise<number> {
  const config = loadConfig(configFile(args))
  const topology = describeTopology(config)
  const checks: Array<[string, string, number]> = [
    ...topology.servers.map((s): [string, string, number] => [
      `nats-${s.name}`,
      topology.host,
      s.port,
    ]),
    ['demo', '127.0.0.1', config.demo.port],
    ['edge', '127.0.0.1', config.edge.port],
  ]
  let down = 0
  for (const [name, host, port] of checks) {
    const up = await listening(host, port)
    if (!up) down++
    process.stdout.write(`${name.padEnd(20)} ${host}:${port}  ${up ? 'up' : 'down'}\n`)
  }
  return down ? 1 : 0
}
