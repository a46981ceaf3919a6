/** `tsx demo/main.ts [--config file]`: the demo upstream on 127.0.0.1:<demo.port>. */
import { configFromArgs, runMain } from '../runtime/index.js'
import { startDemo } from './server.js'

await runMain('demo', (log) => startDemo(configFromArgs(), log))
