/**
 * `portcullis status [--json] [--config file | --state file]`: every process of the running
 * stack, from the process table `portcullis up` keeps in `<paths.data>/stack.json`, each
 * checked now (its pid alive, each of its ports answering). Exit 1 when anything is down, the
 * table is stale (its `up` is gone) or there is none; 2 on bad arguments.
 */
import { connect } from 'node:net'
import { loadConfig } from '../../config/index.js'
import { configFile, flag } from '../args.js'
import { pidAlive, readState, stateFileOf, type StateProcess } from '../state.js'

export interface ProcessStatus extends StateProcess {
  alive: boolean
  /** Port → whether it accepted a connection. */
  answering: Record<string, boolean>
  health: 'up' | 'down'
}

export interface StatusReport {
  stateFile: string
  /** Whether a process table was found at all. */
  found: boolean
  /** The table's writer is gone: what it lists is no longer supervised. */
  stale: boolean
  supervisor?: { pid: number; alive: boolean }
  startedAt?: string
  updatedAt?: string
  url?: string
  processes: ProcessStatus[]
  down: number
}

function listening(host: string, port: number): Promise<boolean> {
  // A wildcard listen address is reached on loopback.
  const dial = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return new Promise((resolve) => {
    const socket = connect({ host: dial, port, timeout: 1000 })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => (socket.destroy(), resolve(false)))
  })
}

export async function statusReport(stateFile: string): Promise<StatusReport> {
  const state = readState(stateFile)
  if (!state) return { stateFile, found: false, stale: false, processes: [], down: 0 }
  const alive = pidAlive(state.pid)
  const processes = await Promise.all(
    state.processes.map(async (p): Promise<ProcessStatus> => {
      const running = p.pid > 0 && pidAlive(p.pid)
      const answers = await Promise.all(p.ports.map((port) => listening(p.host, port)))
      const answering = Object.fromEntries(p.ports.map((port, i) => [String(port), answers[i]!]))
      const health = running && p.state === 'running' && answers.every(Boolean) ? 'up' : 'down'
      return { ...p, alive: running, answering, health }
    }),
  )
  return {
    stateFile,
    found: true,
    stale: !alive,
    supervisor: { pid: state.pid, alive },
    startedAt: state.startedAt,
    updatedAt: state.updatedAt,
    ...(state.url ? { url: state.url } : {}),
    processes,
    down: processes.filter((p) => p.health === 'down').length,
  }
}

function table(report: StatusReport): string {
  const rows = [
    ['NAME', 'COMPONENT', 'REPLICA', 'PID', 'STATE', 'RESTARTS', 'PORTS', 'METRICS', 'HEALTH'],
  ]
  for (const p of report.processes) {
    const ports = p.ports.map((port) => `${port}${p.answering[String(port)] ? '' : '!'}`)
    rows.push([
      p.name,
      p.component,
      p.replica !== undefined ? String(p.replica) : p.node !== undefined ? `node ${p.node}` : '-',
      p.pid ? String(p.pid) : '-',
      p.state,
      String(p.restarts),
      ports.join(',') || '-',
      p.metricsPort ? String(p.metricsPort) : '-',
      p.health,
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export async function status(args: string[]): Promise<number> {
  const json = args.includes('--json')
  const explicit = flag(args, 'state')
  if (args.includes('--state') && !explicit) {
    process.stderr.write('usage: portcullis status [--json] [--config file | --state file]\n')
    return 2
  }
  const stateFile = explicit ?? stateFileOf(loadConfig(configFile(args)).paths.data)
  const report = await statusReport(stateFile)
  if (json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n')
  } else if (!report.found) {
    process.stdout.write(`no stack is running: ${stateFile} does not exist (portcullis up)\n`)
  } else {
    if (report.stale) {
      process.stdout.write(
        `STALE: ${stateFile} was written by portcullis up (pid ${report.supervisor!.pid}), ` +
          'which is no longer running; nothing below is supervised\n',
      )
    } else {
      process.stdout.write(
        `portcullis up (pid ${report.supervisor!.pid}) since ${report.startedAt}` +
          `${report.url ? `, ingress ${report.url}` : ''}\n`,
      )
    }
    process.stdout.write(table(report) + '\n')
    if (report.down) process.stdout.write(`${report.down} down (a port marked ! does not answer)\n`)
  }
  return !report.found || report.stale || report.down ? 1 : 0
}
