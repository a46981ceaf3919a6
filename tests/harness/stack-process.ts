/**
 * A stack in a process of its own, as `portcullis up` runs it (without the edge): started
 * from the overrides given as JSON in argv[2], it prints `stack-ready <state file>` once it
 * serves and runs until it is stopped (SIGTERM) or killed.
 */
import { BASE_CONFIG_FILE } from '../../cli/ephemeral.js'
import { startStack } from '../../cli/stack.js'

const stack = await startStack({
  configFile: BASE_CONFIG_FILE,
  overrides: JSON.parse(process.argv[2] ?? '{}') as unknown,
  edge: false,
  onLine: () => undefined,
})
process.stdout.write(`stack-ready ${stack.stateFile ?? ''}\n`)
process.on('SIGTERM', () => void stack.stop().then(() => process.exit(0)))
