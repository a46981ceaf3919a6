/** `node audit/sink/main.mjs [--config file]`: the audit sink, as `audit-sink`. */
import { configFromArgs, runMain } from '../../runtime/index.js'
import { startAuditSink } from './start.js'

await runMain('audit-sink', (log) => startAuditSink(configFromArgs(), log))
