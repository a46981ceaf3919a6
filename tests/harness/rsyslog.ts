/**
 * A real rsyslog for tests: Debian's `/usr/sbin/rsyslogd` in the foreground (`-n`) on its own
 * config, pid file and work directory in a temp dir, receiving on 127.0.0.1 over UDP (imudp)
 * and TCP (imtcp, octet-counted or LF framing). Every message it receives is parsed by
 * rsyslog's own RFC 5424 parser and by mmpstrucdata (its structured-data parser), and written
 * by omfile as one JSON line. `stop()` ends it and removes the dir; a process exit kills it.
 */
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stopOnExit } from '../../runtime/children.js'
import { freePorts } from './ports.js'

export const RSYSLOGD = process.env.PORTCULLIS_RSYSLOGD ?? '/usr/sbin/rsyslogd'

/** One received message, as rsyslog read it. */
export interface ReceivedSyslog {
  /** `imudp` or `imtcp`. */
  input: string
  pri: number
  /** TIMESTAMP, re-written by rsyslog as RFC 3339. */
  timestamp: string
  hostname: string
  appName: string
  procId: string
  msgId: string
  /** STRUCTURED-DATA exactly as received, escapes kept. */
  structuredData: string
  /** mmpstrucdata's parse of it: SD-ID, then PARAM-NAME, to the unescaped value. */
  sd: Record<string, Record<string, string>>
  msg: string
}

export interface RsyslogHarness {
  udpPort: number
  tcpPort: number
  dir: string
  pid: number
  /** Every message written so far, in arrival order (the readiness probes left out). */
  messages(): ReceivedSyslog[]
  /** Resolves once at least `count` messages are in; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedSyslog[]>
  stop(): Promise<void>
}

export interface StartRsyslogOptions {
  udpPort?: number
  tcpPort?: number
}

const READY_TIMEOUT_MS = 10_000
const STOP_GRACE_MS = 5_000
const PROBE_APP = 'harness-probe'

function config(dir: string, udpPort: number, tcpPort: number): string {
  const file = (name: string) => JSON.stringify(join(dir, name))
  return `
global(workDirectory=${file('work')} maxMessageSize="64k" net.enableDNS="off" processInternalMessages="on")
module(load="imudp")
module(load="imtcp")
module(load="mmpstrucdata")

template(name="portcullisJson" type="list" option.jsonf="on") {
  property(outname="input" name="inputname" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="appName" name="app-name" format="jsonf")
  property(outname="procId" name="procid" format="jsonf")
  property(outname="msgId" name="msgid" format="jsonf")
  property(outname="structuredData" name="structured-data" format="jsonf")
  property(outname="sd" name="$!rfc5424-sd" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}

ruleset(name="received") {
  if $app-name == "${PROBE_APP}" then {
    action(type="omfile" file=${file('probe.log')} template="RSYSLOG_SyslogProtocol23Format")
    stop
  }
  action(type="mmpstrucdata" sd_name.lowercase="off")
  action(type="omfile" file=${file('messages.jsonl')} template="portcullisJson")
}

input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="received")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="received")

# rsyslog's own messages (the default ruleset), for the error shown when it fails
action(type="omfile" file=${file('internal.log')})
`
}

function readMessages(path: string): ReceivedSyslog[] {
  if (!existsSync(path)) return []
  const text = readFileSync(path, 'utf8')
  // Only whole lines: the last one may still be being written.
  const lines = text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
  return lines.map((line) => {
    const raw = JSON.parse(line) as Record<string, string>
    return {
      input: raw.input ?? '',
      pri: Number(raw.pri),
      timestamp: raw.timestamp ?? '',
      hostname: raw.hostname ?? '',
      appName: raw.appName ?? '',
      procId: raw.procId ?? '',
      msgId: raw.msgId ?? '',
      structuredData: raw.structuredData ?? '',
      sd: raw.sd ? (JSON.parse(raw.sd) as ReceivedSyslog['sd']) : {},
      msg: raw.msg ?? '',
    }
  })
}

function tcpReachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

function sendUdpProbe(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    const probe = Buffer.from(`<14>1 - - ${PROBE_APP} - - - ready`)
    s.send(probe, port, '127.0.0.1', () => s.close(() => resolve()))
  })
}

export async function startRsyslog(options: StartRsyslogOptions = {}): Promise<RsyslogHarness> {
  if (!existsSync(RSYSLOGD)) {
    throw new Error(`rsyslog is not installed at ${RSYSLOGD} (apt-get install rsyslog)`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-rsyslog-'))
  mkdirSync(join(dir, 'work'))
  const free = await freePorts(2)
  const udpPort = options.udpPort ?? free[0]!
  const tcpPort = options.tcpPort ?? free[1]!
  const confPath = join(dir, 'rsyslog.conf')
  writeFileSync(confPath, config(dir, udpPort, tcpPort))
  const messagesPath = join(dir, 'messages.jsonl')

  const child = spawn(RSYSLOGD, ['-n', '-f', confPath, '-i', join(dir, 'rsyslogd.pid')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  if (child.pid !== undefined) stopOnExit(child, () => process.kill(-child.pid!, 'SIGKILL'))
  let output = ''
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  let ended: string | undefined
  child.once('exit', (code, signal) => (ended = `exited (${signal ?? code})`))
  child.once('error', (e) => (ended = `could not be started: ${e.message}`))
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  })

  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    if (!ended) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {
          // already gone
        }
      }, STOP_GRACE_MS)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }

  const failure = (what: string) => {
    const internal = existsSync(join(dir, 'internal.log'))
      ? readFileSync(join(dir, 'internal.log'), 'utf8').slice(-2000)
      : ''
    return new Error(`rsyslogd ${what}\n${output}${internal}`)
  }

  try {
    // Ready means both inputs take messages: TCP accepts, and a UDP probe reaches its file.
    const deadline = Date.now() + READY_TIMEOUT_MS
    const probeFile = join(dir, 'probe.log')
    while (!(await tcpReachable(tcpPort)) || !existsSync(probeFile)) {
      if (ended) throw failure(ended)
      if (Date.now() > deadline) throw failure('was not ready')
      await sendUdpProbe(udpPort)
      await new Promise((r) => setTimeout(r, 50))
    }
  } catch (e) {
    await stop()
    throw e
  }

  return {
    udpPort,
    tcpPort,
    dir,
    pid: child.pid!,
    messages: () => readMessages(messagesPath),
    async waitForMessages(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const all = readMessages(messagesPath)
        if (all.length >= count) return all
        if (ended) throw failure(ended)
        if (Date.now() > deadline) {
          throw new Error(`rsyslog received ${all.length} of ${count} messages in ${timeoutMs} ms`)
        }
        await new Promise((r) => setTimeout(r, 25))
      }
    },
    stop,
  }
}
