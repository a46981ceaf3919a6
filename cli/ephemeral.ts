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

const NODE_PORT_KEYS = ['link', 'linkWebsocket', 'dreq', 'creq', 'dresp', 'cresp'] as const
const ROUTE_PORT_KEYS = ['link', 'dreq', 'creq', 'dresp', 'cresp'] as const

/** `bus.nodes` as the overrides give it (the config file's default is 1). */
export function nodesOf(overrides: unknown): number {
  const bus = (overrides as { bus?: { nodes?: unknown } } | undefined)?.bus
  return bus?.nodes === 3 ? 3 : 1
}

/**
 * Free loopback ports for every listener of the buses: `bus.ports`, and with three nodes the
 * client ports of nodes 2 and 3 and every route port (`bus.cluster`), so a clustered stack
 * never lands on a port someone else holds.
 */
export async function freeBusPorts(
  nodes: number,
  more = 0,
): Promise<{ bus: Record<string, unknown>; more: number[] }> {
  const cluster = nodes === 3 ? NODE_PORT_KEYS.length * 2 + ROUTE_PORT_KEYS.length * 3 : 0
  // One call, so no two of them can be the same port.
  const ports = await freePorts(NODE_PORT_KEYS.length + cluster + more)
  const take = (n: number) => ports.splice(0, n)
  const bus: Record<string, unknown> = {
    ports: Object.fromEntries(NODE_PORT_KEYS.map((k) => [k, take(1)[0]!])),
  }
  if (nodes === 3) {
    bus.cluster = {
      nodePorts: Object.fromEntries(NODE_PORT_KEYS.map((k) => [k, take(2)])),
      routePorts: Object.fromEntries(ROUTE_PORT_KEYS.map((k) => [k, take(3)])),
    }
  }
  return { bus, more: take(more) }
}

/** A temporary folder and the overrides that put a stack's ports and paths in it. */
export async function ephemeralSetup(
  overrides: unknown = {},
): Promise<{ dir: string; overrides: unknown; demoUrl: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-stack-'))
  const { bus, more } = await freeBusPorts(nodesOf(overrides), 3)
  const [edge, demo, consolePort] = more
  const base = {
    edge: { port: edge },
    demo: { port: demo },
    console: { port: consolePort },
    upstreams: { demo: { baseUrl: `http://127.0.0.1:${demo}` } },
    bus,
    paths: { keys: join(dir, 'keys'), data: join(dir, 'data') },
  }
  return { dir, overrides: mergeConfig(base, overrides), demoUrl: `http://127.0.0.1:${demo}` }
}

/** The repo's config file, which every ephemeral stack starts from. */
export const BASE_CONFIG_FILE = join(REPO_ROOT, 'portcullis.config.json')

export async function startEphemeralStack(
  overrides: unknown = {},
  options: Pick<StackOptions, 'onLine' | 'edge'> & { configFile?: string } = {},
): Promise<EphemeralStack> {
  const setup = await ephemeralSetup(overrides)
  const { dir, demoUrl } = setup
  try {
    const stack = await startStack({
      configFile: BASE_CONFIG_FILE,
      overrides: setup.overrides,
      ...options,
    })
    return {
      ...stack,
      dir,
      demoUrl,
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
