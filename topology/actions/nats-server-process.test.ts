import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SetupError } from '../../core/index.js'
import { startNatsServer } from './nats-server-process.js'

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-nats-process-'))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('startNatsServer', () => {
  it('a nats-server that exits before it is ready is BUS_START_FAILED, naming its config and log', async () => {
    const confPath = join(dir, 'broken.conf')
    writeFileSync(confPath, 'listen: "127.0.0.1:1"\njetstream { store_dir: }\n{{{\n')
    const failed = await startNatsServer({ name: 'dreq', confPath, port: 1 }).catch((e) => e)
    expect(failed).toBeInstanceOf(SetupError)
    expect(failed).toMatchObject({ code: 'BUS_START_FAILED', file: confPath })
    expect(failed.message).toMatch(/^nats-server dreq exited \(code \d+\) before it was ready/)
  })
})
