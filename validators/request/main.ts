/** `tsx validators/request/main.ts [--config file]`: the request validator process. */
import { liveConfigFromArgs, runMain } from '../../runtime/index.js'
import { COMPONENT, startRequestValidator } from './start.js'

await runMain(COMPONENT, (log) => startRequestValidator(liveConfigFromArgs(log), log))
