import { SetupError } from '../core/index.js'
import { configFromArgs, runMain } from '../runtime/index.js'
import { CONSOLE_TOKEN_ENV } from './auth.js'
import { startConsole } from './start.js'

const at = process.argv.indexOf('--state')
const stateFile = at > 0 ? process.argv[at + 1] : undefined
await runMain('console', (log) => {
  const token = process.env[CONSOLE_TOKEN_ENV]
  if (!stateFile) {
    throw new SetupError(
      'ARGUMENT_INVALID',
      'usage: console/main.ts --state <stack.json> [--config file]',
    )
  }
  if (!token) throw new SetupError('ENV_INVALID', `${CONSOLE_TOKEN_ENV} is not set`)
  return startConsole(configFromArgs(), log, { stateFile, token })
})
