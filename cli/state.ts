/**
 * The live process table of a running stack, `<paths.data>/stack.json`: written by the stack
 * on every change (atomically, by rename), removed when it stops, read by `portcullis status`.
 * A file whose writer is gone is stale: the stack was killed without stopping.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { ProcessInfo } from './supervisor.js'

export const STATE_FILE = 'stack.json'

export interface StateProcess extends ProcessInfo {
  /** The address its ports listen on. */
  host: string
}

export interface StackState {
  version: 1
  /** The process that runs the stack (`portcullis up`, or a test's runner). */
  pid: number
  startedAt: string
  updatedAt: string
  configFile: string
  /** The ingress, when the stack runs the edge. */
  url?: string
  processes: StateProcess[]
}

export function stateFileOf(dataDir: string): string {
  return join(dataDir, STATE_FILE)
}

export function writeState(file: string, state: StackState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const next = `${file}.${process.pid}.tmp`
  writeFileSync(next, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
  renameSync(next, file)
}

/** The state file's table, or undefined when there is none; throws on a file it cannot read. */
export function readState(file: string): StackState | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
  const state = JSON.parse(text) as StackState
  if (state.version !== 1 || !Array.isArray(state.processes) || !Number.isInteger(state.pid)) {
    throw new Error(`${file} is not a stack state file`)
  }
  return state
}

export function removeState(file: string): void {
  rmSync(file, { force: true })
}

/** Whether a process with this pid exists (signal 0 probes without sending anything). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
