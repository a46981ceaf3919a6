/** A start that cannot succeed stops at once and names the component or key at fault. */
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { freePort, freePorts } from '../../runtime/index.js'
import { StartError } from '../../cli/processes.js'
import { REPO_ROOT, startStack } from '../../cli/stack.js'
import { ConfigError } from '../../config/index.js'

let blocker: Server
let taken: number

beforeAll(async () => {
  taken = await freePort()
  blocker = createServer()
  await new Promise<void>((r) => blocker.listen(taken, '127.0.0.1', () => r()))
})

afterAll(() => new Promise<void>((r) => blocker.close(() => r())))

it('CLI-002 a port already taken stops the start, naming the component', async () => {
  const [link, linkWebsocket, dreq, dresp, cresp] = await freePorts(5)
  const err = await startStack({
    configFile: join(REPO_ROOT, 'portcullis.config.json'),
    overrides: { bus: { ports: { link, linkWebsocket, dreq, creq: taken, dresp, cresp } } },
    onLine: () => undefined,
  }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(StartError)
  expect((err as StartError).component).toBe('creq nats-server')
  expect((err as StartError).code).toBe('PORT_IN_USE')
  expect((err as Error).message).toContain(String(taken))
})

it('CLI-003 a bad config stops the start, naming the key', async () => {
  const err = await startStack({
    configFile: join(REPO_ROOT, 'portcullis.config.json'),
    overrides: { edge: { deadlineMs: 'soon' } },
    onLine: () => undefined,
  }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ConfigError)
  expect((err as ConfigError).key).toBe('edge.deadlineMs')
  expect((err as ConfigError).code).toBe('CONFIG_INVALID')
})

it('CLI-004 a topology mode that does not exist stops the start, naming the key', async () => {
  const err = await startStack({
    configFile: join(REPO_ROOT, 'portcullis.config.json'),
    overrides: { topology: 'two-servers' },
    onLine: () => undefined,
  }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ConfigError)
  expect((err as ConfigError).key).toBe('topology')
})
