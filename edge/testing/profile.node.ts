/**
 * A CPU profile of the ingress worker's isolate through wrangler's inspector (the Chrome
 * DevTools protocol): `Profiler.start` now, `Profiler.stop` into a `.cpuprofile` file that
 * Chrome's DevTools or `speedscope` open.
 */
import { writeFileSync } from 'node:fs'
import WebSocket from 'ws'

interface Target {
  title?: string
  webSocketDebuggerUrl: string
}

export async function startProfile(
  inspectorPort: number,
  file: string,
): Promise<{ stop(): Promise<void> }> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Target[]
  const target = targets.find((t) => t.title?.includes('portcullis-ingress')) ?? targets[0]
  if (!target) throw new Error('no inspector target')
  const ws = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  let id = 0
  const pending = new Map<number, (result: unknown) => void>()
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown }
    // wrangler's inspector proxy echoes what it is sent: only an answer has a result.
    if (msg.error) throw new Error(`inspector: ${JSON.stringify(msg.error)}`)
    if (msg.id !== undefined && 'result' in msg) pending.get(msg.id)?.(msg.result)
  })
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector: ${method} unanswered`)), 30_000)
      pending.set(++id, (result) => {
        clearTimeout(timer)
        resolve(result)
      })
      ws.send(JSON.stringify({ id, method, params }))
    })
  await call('Profiler.enable')
  await call('Profiler.setSamplingInterval', { interval: 100 })
  await call('Profiler.start')
  return {
    async stop() {
      const { profile } = (await call('Profiler.stop')) as { profile: unknown }
      writeFileSync(file, JSON.stringify(profile))
      ws.close()
    },
  }
}
