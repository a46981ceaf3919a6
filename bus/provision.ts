/**
 * Creates or updates the topology's streams and durable consumers as the admin identity,
 * then closes every admin connection it asked for, even one still dialing when provisioning
 * failed: a connection left open would reconnect forever and keep the process alive.
 */
import type { NatsConnection } from '@nats-io/nats-core'
import type { LoadedConfig } from '../config/index.js'
import { ADMIN, provisionStreams, type Topology } from '../topology/index.js'
import { connectAs } from './connect.js'

export async function provisionAsAdmin(topology: Topology, config: LoadedConfig): Promise<void> {
  const open: Array<Promise<NatsConnection>> = []
  try {
    await provisionStreams(topology, config.bus, (bus) => {
      const nc = connectAs({
        topology,
        keysDir: config.paths.keys,
        identity: ADMIN,
        bus,
        name: 'admin',
      })
      open.push(nc)
      return nc
    })
  } finally {
    await Promise.all(open.map((p) => p.then((nc) => nc.close()).catch(() => undefined)))
  }
}
