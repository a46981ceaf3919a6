/** `tsx validators/response/main.ts [--config file]`: the response validator process. */
import { liveConfigFromArgs, runMain } from '../../runtime/index.js'
import { COMPONENT, startResponseValidator } from './start.js'

await runMain(COMPONENT, (log) => startResponseValidator(liveConfigFromArgs(log), log))
