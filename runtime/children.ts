/**
 * Child processes that must not outlive this one: when it exits (a crash that still runs
 * 'exit' handlers included), each child still alive is stopped. 'exit' handlers must be
 * synchronous, so `stop` must be too (a signal, a synchronous remove).
 */
import type { ChildProcess } from 'node:child_process'

const live = new Map<ChildProcess, () => void>()
let hooked = false

export function stopOnExit(
  child: ChildProcess,
  stop: () => void = () => child.kill('SIGKILL'),
): void {
  live.set(child, stop)
  child.once('exit', () => live.delete(child))
  if (hooked) return
  hooked = true
  process.once('exit', () => {
    for (const stopOne of live.values()) {
      try {
        stopOne()
      } catch {
        // already gone
      }
    }
  })
}
