/**
 * The stack exactly as `npm start` starts it, on ports and folders of the test's own, with
 * short timeouts so failure paths are quick. Component output is kept, and printed when the
 * stack fails to start.
 */
import { startEphemeralStack, type EphemeralStack } from '../../cli/ephemeral.js'
import { mergeConfig } from '../../config/index.js'
import type { ReceivedRequest } from '../../demo/server.js'

export interface TestStack extends EphemeralStack {
  logs: string[]
  received(): Promise<ReceivedRequest[]>
  demoControl(body: { delayMs: number }): Promise<void>
}

export async function startTestStack(
  overrides: unknown = {},
  options: { configFile?: string } = {},
): Promise<TestStack> {
  const logs: string[] = []
  const quick = {
    edge: { deadlineMs: 8000 },
    upstreams: { demo: { timeoutMs: 1500 } },
    bus: { ackWaitMs: 1000 },
  }
  let stack: EphemeralStack
  try {
    stack = await startEphemeralStack(mergeConfig(quick, overrides), {
      ...options,
      onLine: (component, line) => {
        logs.push(`${component} | ${line}`)
        if (logs.length > 5000) logs.splice(0, 1000)
      },
    })
  } catch (e) {
    process.stderr.write(logs.slice(-200).join('\n') + '\n')
    throw e
  }
  return {
    ...stack,
    logs,
    async received() {
      const res = await fetch(`${stack.demoUrl}/_demo/received`)
      return ((await res.json()) as { requests: ReceivedRequest[] }).requests
    },
    async demoControl(body) {
      await fetch(`${stack.demoUrl}/_demo/control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    },
  }
}
