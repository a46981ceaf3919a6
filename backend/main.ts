/**
 * `tsx backend/main.ts --host <name> [--config file]`: the connector for one upstream host;
 * in the `single-validation` topology the validating connector (validating-start.ts).
 */
import { liveConfigFromArgs, runMain } from '../runtime/index.js'
import { backendIdentity } from '../topology/index.js'
import { startBackend } from './start.js'
import { startValidatingBackend } from './validating-start.js'

const argv = process.argv.slice(2)
const i = argv.indexOf('--host')
const host = i >= 0 ? argv[i + 1] : undefined
if (!host) {
  process.stderr.write(
    'error start-failed code=ARGUMENT_INVALID reason="usage: backend/main.ts --host <name> [--config file]"\n',
  )
  process.exit(2)
}

await runMain(backendIdentity(host), (log) => {
  const live = liveConfigFromArgs(log)
  const start =
    live.current().topology === 'single-validation' ? startValidatingBackend : startBackend
  return start(live, log, host)
})
