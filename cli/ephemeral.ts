/**
 * A whole stack on free loopback ports and a temporary folder of its own, with its own keys:
 * what the end-to-end tests and the benchmark run, so they never touch a developer's stack.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mergeConfig } from '../config/index.js'
import { freePorts } from '../runtime/index.js'

import { REPO_ROOT, startStack, type Stack, type StackOptions } from './stack.js'

export interface EphemeralStack extends Stack {
  dir: string
  demoUrl: string
  dispose(): Promise<void>
}

export async function startEphemeralStack(
  overrides: unknown = {},
  options: Pick<StackOptions, 'onLine' | 'edge'> = {},
): Promise<EphemeralStack> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-stack-'))
  const [link, linkWebsocket, dreq, creq, dresp, cresp, edge, demo] = await freePorts(8)
  const base = {
    edge: { port: edge },
    demo: { port: demo },
    upstreams: { demo: { baseUrl: `http://127.0.0.1:${demo}` } },
    bus: { ports: { link, linkWebsocket, dreq, creq, dresp, cresp } },
    paths: { keys: join(dir, 'keys'), data: join(dir, 'data') },
  }
  try {
    const stack = await startStack({
      configFile: join(REPO_ROOT, 'portcullis.config.json'),
      overrides: mergeConfig(base, overrides),
      ...options,
    })
    return {
      ...stack,
      dir,
      demoUrl: `http://127.0.0.1:${demo}`,
      async dispose() {
        await stack.stop()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
}
