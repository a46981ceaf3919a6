/** `tsx bridge/relay/main.ts [--config file]`: the relay process. */
import { configFromArgs, runMain } from '../../runtime/index.js'
import { COMPONENT, startRelay } from './start.js'

await runMain(COMPONENT, (log) => startRelay(configFromArgs(), log))
