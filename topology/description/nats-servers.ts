/**
 * The nats-server processes of a topology, one per node, each with the buses (accounts) it
 * carries: `dreq`, or `dreq.1` .. `dreq.3` on a three-node bus, whose nodes each list the
 * other two's route URLs (without credentials: the config renderer adds the route secret).
 */
import { SetupError, type BusName } from '../../core/index.js'
import { clusterNameOf } from './names.js'
import type { BusSpec, NatsServerSpec, Topology } from './types.js'

type Buses = Pick<Topology, 'buses'> & { host?: string }

/** The servers of the topology, each with the buses it carries and its ports. */
function serversCarrying(topology: Buses): Array<BusSpec & { buses: BusName[] }> {
  const byName = new Map<string, BusSpec & { buses: BusName[] }>()
  for (const bus of topology.buses) {
    const have = byName.get(bus.server)
    if (!have) {
      byName.set(bus.server, { ...bus, buses: [bus.name] })
      continue
    }
    if (have.ports.join() !== bus.ports.join()) {
      throw new SetupError('TOPOLOGY_INVALID', `server ${bus.server}: buses on different ports`)
    }
    have.buses.push(bus.name)
    have.jetstream ||= bus.jetstream
    if (bus.websocketPorts !== undefined) have.websocketPorts = bus.websocketPorts
  }
  return [...byName.values()]
}

export function natsServersOf(topology: Buses): NatsServerSpec[] {
  const host = topology.host ?? '127.0.0.1'
  return serversCarrying(topology).flatMap((s): NatsServerSpec[] => {
    const node = (i: number): NatsServerSpec => {
      const spec: NatsServerSpec = {
        name: s.ports.length === 1 ? s.server : `${s.server}.${i + 1}`,
        group: s.server,
        port: s.ports[i]!,
        jetstream: s.jetstream,
        buses: [...s.buses],
      }
      if (s.websocketPorts?.[i] !== undefined) spec.websocketPort = s.websocketPorts[i]
      if (s.ports.length > 1) {
        const routes = s.routePorts
        if (routes?.length !== s.ports.length) {
          throw new SetupError(
            'TOPOLOGY_INVALID',
            `server ${s.server}: ${s.ports.length} nodes need as many route ports`,
          )
        }
        spec.node = i + 1
        spec.cluster = {
          name: clusterNameOf(s.server),
          port: routes[i]!,
          routes: routes.filter((_, j) => j !== i).map((p) => `nats-route://${host}:${p}`),
        }
      }
      return spec
    }
    return s.ports.map((_, i) => node(i))
  })
}

/** Every node (nats-server process) of the server that carries `bus`. */
export function natsNodesOf(topology: Buses, bus: BusName): NatsServerSpec[] {
  const nodes = natsServersOf(topology).filter((s) => s.buses.includes(bus))
  if (!nodes.length) throw new SetupError('TOPOLOGY_INVALID', `no bus ${bus} in the topology`)
  return nodes
}

/** The nats-server process that carries `bus` (node 1 of a three-node bus). */
export function natsServerOf(topology: Buses, bus: BusName): NatsServerSpec {
  return natsNodesOf(topology, bus)[0]!
}
