/**
 * `npm run soak`: the fault test's stack (3-node buses, two replicas of every stage) under a
 * steady load for a long time, with the faults on a timer: every `--fault-every` seconds the
 * next process in turn (one nats node of each bus, then each stage process) is killed with
 * SIGKILL and comes back. At the end it prints the requests, how each was answered, p50/p99,
 * every fault's window, the resident memory of every process at start and end, and whether
 * any POST executed twice, any audit event was lost, and `portcullis audit verify` passed.
 *
 *   npm run soak -- [--minutes 30] [--rate 100] [--fault-every 30] [--nodes 1] [--replicas 2]
 *
 * Exit code 1 when a request failed, a POST executed twice or an audit event was lost.
 */
import { parseArgs } from 'node:util'
import { rssKbOf, startHaStack } from './ha-stack.js'
import { formatFaults, reportFaults, summarize, verdictOf, type Fault } from './judge.js'
import { startRecorder } from './recorder.js'
import {
  busNodesToKill,
  checkAudit,
  checkExecutions,
  connectLoad,
  sleep,
  stageProcesses,
} from './scenario.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '100' },
    'fault-every': { type: 'string', default: '30' },
    nodes: { type: 'string', default: '1' },
    replicas: { type: 'string', default: '2' },
  },
})
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const faultEverySeconds = Number(values['fault-every'])
const nodes = Number(values.nodes)
const replicas = Number(values.replicas)
if (
  !(minutes > 0) ||
  !(rate > 0) ||
  !(faultEverySeconds > 0) ||
  (nodes !== 1 && nodes !== 3) ||
  !Number.isInteger(replicas) ||
  replicas < 1
) {
  process.stderr.write(
    'usage: npm run soak -- [--minutes 30] [--rate 100] [--fault-every 30] [--nodes 1|3] [--replicas 2]\n',
  )
  process.exit(2)
}

const say = (line: string) => process.stdout.write(`soak | ${line}\n`)
/** Access tokens live 15 minutes at most: the load takes a new one well before. */
const TOKEN_RENEW_MS = 10 * 60_000

function memory(pids: Record<string, number>): Record<string, number | undefined> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [
      name,
      rssKbOf(pid) && Math.round(rssKbOf(pid)! / 1024),
    ]),
  )
}

say(`starting: ${nodes} node(s) per bus, ${replicas} replica(s) per stage`)
const ha = await startHaStack({ nodes: nodes as 1 | 3, replicas })
let exitCode = 1
try {
  const load = await connectLoad(ha, `s${Date.now().toString(36)}`)
  const names = ha.processNames()
  const rotation = [...busNodesToKill(names), ...stageProcesses(names)]
  say(`processes: ${names.join(' ')}`)
  say(`client Idempotency-Key: ${load.clientKeys ? 'sent' : 'refused by this gateway, not sent'}`)
  say(
    `load: ${rate} req/s for ${minutes} min, a fault every ${faultEverySeconds} s: ${rotation.join(' ')}`,
  )

  await sleep(2000)
  const memoryAtStart = memory(ha.pids())
  const recorder = startRecorder(load.client, { rate, postEvery: 4 })
  const faults: Fault[] = []
  const endAt = recorder.now() + minutes * 60_000
  let nextToken = recorder.now() + TOKEN_RENEW_MS
  let nextReport = recorder.now() + 60_000
  for (let i = 0; recorder.now() + faultEverySeconds * 1000 < endAt; i++) {
    const due = (i + 1) * faultEverySeconds * 1000
    while (recorder.now() < due) {
      await sleep(Math.min(1000, due - recorder.now()))
      if (recorder.now() >= nextToken) {
        load.client.setActor(await ha.accessToken())
        nextToken += TOKEN_RENEW_MS
      }
      if (recorder.now() >= nextReport) {
        const s = summarize(recorder.outcomes)
        say(
          `${Math.round(recorder.now() / 60_000)} min: ${s.requests} answered, ${s.failed} failed, ` +
            `${s.retriable} retriable, p99 ${s.p99Ms} ms, ${recorder.inFlight()} in flight`,
        )
        nextReport += 60_000
      }
    }
    const name = rotation[i % rotation.length]!
    const fault: Fault = { name, atMs: recorder.now() }
    faults.push(fault)
    await ha.crash(name)
    fault.recoveredMs = recorder.now()
  }
  while (recorder.now() < endAt) await sleep(Math.min(1000, endAt - recorder.now()))
  const memoryAtEnd = memory(ha.pids())
  const outcomes = await recorder.stop()

  const summary = summarize(outcomes)
  say(`requests: ${JSON.stringify(summary)}`)
  say(`faults:\n${formatFaults(reportFaults(outcomes, faults))}`)
  say('resident memory, MB (start -> end):')
  for (const name of Object.keys({ ...memoryAtStart, ...memoryAtEnd })) {
    say(`  ${name.padEnd(26)} ${memoryAtStart[name] ?? '-'} -> ${memoryAtEnd[name] ?? '-'}`)
  }
  const executions = await checkExecutions(ha, load, outcomes)
  say(
    `POSTs: ${executions.posts}, executed twice: ${executions.twice.length}, ` +
      `answered 201 without an execution: ${executions.answeredNotExecuted.length}, ` +
      `retried with their key: ${executions.retried}, retries gone wrong: ${executions.retriesBad.length}`,
  )
  for (const line of executions.twice.slice(0, 10)) say(`  twice: ${line}`)
  for (const line of executions.retriesBad.slice(0, 10)) say(`  retry: ${line}`)
  const audit = await checkAudit(ha, outcomes, 120_000)
  say(
    `audit: ${audit.checked} answered requests checked, ${audit.missingCount} with events missing`,
  )
  for (const line of audit.missing) say(`  missing: ${line}`)
  const verify = await ha.auditVerify()
  say(`audit verify (exit ${verify.code}): ${verify.output.trim()}`)
  await load.client.close()
  const failed = outcomes.filter((o) => verdictOf(o) === 'failed')
  for (const o of failed.slice(0, 20)) say(`  failed: ${JSON.stringify(o)}`)
  exitCode =
    failed.length === 0 &&
    executions.twice.length === 0 &&
    executions.answeredNotExecuted.length === 0 &&
    executions.retriesBad.length === 0 &&
    audit.missingCount === 0 &&
    verify.code === 0
      ? 0
      : 1
  say(exitCode === 0 ? 'passed' : 'FAILED')
} finally {
  await ha.dispose()
}
process.exit(exitCode)
