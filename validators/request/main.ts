/** `tsx validators/request/main.ts [--config file]`: the request validator process. */
import { configFromArgs, runMain } from '../../runtime/index.js'
import { COMPONENT, startRequestValidator } from './start.js'

await runMain(COMPONENT, (log) => startRequestValidator(configFromArgs(), log))
