/**
 * `node nats-config.mjs --server <name> [--config file]`: writes one nats-server's config,
 * rendered from the topology description, under the data folder and prints its path, for
 * the pod's nats-server entry (`deploy/nats-server.sh`) to run the server on. On any error it
 * prints nothing on stdout, one line on stderr, and exits 1.
 */
import { configFromArgs, createLogger, setupFailureFields } from '../../runtime/index.js'
import {
  describeTopology,
  natsServersOf,
  readTrust,
  writeServerConfig,
} from '../../topology/index.js'
import { SetupError } from '../../core/index.js'

const argv = process.argv.slice(2)
const i = argv.indexOf('--server')
const name = i >= 0 ? argv[i + 1] : undefined

try {
  if (!name) {
    throw new SetupError(
      'ARGUMENT_INVALID',
      'usage: nats-config.mjs --server <name> [--config file]',
    )
  }
  const config = configFromArgs(argv)
  const topology = describeTopology(config)
  const server = natsServersOf(topology).find((s) => s.name === name)
  if (!server) {
    throw new SetupError('ARGUMENT_INVALID', `no server ${name} in the ${topology.mode} topology`)
  }
  const buses = topology.buses.filter((b) => server.buses.includes(b.name))
  const trust = readTrust(config.paths.keys, { buses })
  const { confPath } = writeServerConfig(config, topology, server, trust)
  process.stdout.write(`${confPath}\n`)
} catch (e) {
  createLogger().error('start-failed', {
    component: `nats-${name ?? '?'}`,
    ...setupFailureFields(e),
  })
  process.exit(1)
}
