/**
 * `node provision.mjs [--config file]`: the pod's one-shot provisioning step. Connects to
 * every JetStream server as the admin identity, creates or updates the topology's streams and
 * durable consumers, and exits 0; the stages start only after it succeeded. Gives up with
 * exit 1 when the servers do not answer in time, rather than waiting forever.
 */
import { provisionAsAdmin } from '../../bus/index.js'
import { configFromArgs, createLogger } from '../../runtime/index.js'
import { describeTopology } from '../../topology/index.js'
import { failureReason } from '../../core/index.js'

const TIMEOUT_MS = 60_000
const log = createLogger()

const timer = setTimeout(() => {
  log.error('provision-failed', { reason: `no answer from the buses in ${TIMEOUT_MS / 1000} s` })
  process.exit(1)
}, TIMEOUT_MS)

try {
  const config = configFromArgs()
  const topology = describeTopology(config)
  await provisionAsAdmin(topology, config)
  log.info('provisioned', {
    streams: topology.streams.map((s) => `${s.bus}/${s.name}`).join(','),
  })
} catch (e) {
  log.error('provision-failed', { reason: failureReason(e) })
  process.exitCode = 1
} finally {
  clearTimeout(timer)
}
