/**
 * Syslog over TCP with RFC 6587 octet-counting framing: one connection, reconnected with
 * backoff. Frames are written only while the socket is not asking to drain, so what waits is
 * in the bounded queue, never in an ever-growing socket buffer. A frame counts as sent when
 * the socket has handed it to the kernel; frames written to a connection that then closes
 * before they were confirmed go back to the queue (the receiver may see those twice: plain
 * TCP syslog has no acknowledgements).
 */
import { Socket } from 'node:net'
import { QueuedMirror } from './queued-mirror.js'
import { formatSyslogMessage, frameOctetCounted, type SyslogHeader } from './rfc5424.js'
import type { MirrorRecord, ResolvedTuning, SyslogMirrorConfig } from './types.js'

interface Connection {
  socket: Socket
  open: boolean
  /** Written, not yet confirmed by the write callback, in order. */
  unconfirmed: MirrorRecord[]
}

export class TcpSyslogMirror extends QueuedMirror {
  readonly name = 'syslog' as const
  private readonly header: SyslogHeader
  private connection: Connection | undefined

  constructor(
    private readonly target: SyslogMirrorConfig,
    queueSize: number,
    tuning: ResolvedTuning,
  ) {
    super(queueSize, tuning)
    this.header = { hostname: tuning.hostname, appName: target.appName, procId: tuning.procId }
  }

  protected inFlight(): number {
    return this.connection?.unconfirmed.length ?? 0
  }

  protected pump(): void {
    const c = this.connection
    if (!c) return this.connect()
    if (!c.open) return
    while (this.queue.length > 0 && !c.socket.writableNeedDrain) {
      const record = this.queue.shift()!
      let frame: Buffer
      try {
        frame = frameOctetCounted(
          formatSyslogMessage(record, this.header, this.tuning.maxMessageBytes),
        )
      } catch (e) {
        this.lost(1, e)
        continue
      }
      c.unconfirmed.push(record)
      c.socket.write(frame, (error) => {
        if (error || this.connection !== c) return // the close handler puts it back
        c.unconfirmed.shift()
        this.delivered(1)
      })
    }
  }

  private connect(): void {
    const socket = new Socket()
    const c: Connection = { socket, open: false, unconfirmed: [] }
    this.connection = c
    let failure: Error | undefined
    socket.setNoDelay(true)
    socket.setTimeout(this.tuning.connectTimeoutMs, () => {
      failure ??= new Error(`syslog connect to ${this.target.host}:${this.target.port} timed out`)
      socket.destroy()
    })
    socket.once('connect', () => {
      socket.setTimeout(0)
      c.open = true
      this.schedulePump()
    })
    socket.on('drain', () => this.schedulePump())
    // A syslog receiver sends nothing; read and discard whatever comes, and go when it goes.
    socket.on('data', () => {})
    socket.once('end', () => socket.destroy())
    socket.on('error', (e) => {
      failure ??= e
    })
    socket.once('close', () => {
      if (this.connection !== c) return
      this.connection = undefined
      const back = c.unconfirmed
      c.unconfirmed = []
      if (this.closed) return this.lost(back.length)
      this.retryLater(
        back,
        failure ?? new Error(`syslog connection to ${this.target.host}:${this.target.port} closed`),
      )
    })
    socket.connect({ host: this.target.host, port: this.target.port })
  }

  protected async stop(): Promise<void> {
    const c = this.connection
    if (!c) return
    this.connection = undefined
    this.lost(c.unconfirmed.length)
    c.unconfirmed = []
    if (c.socket.destroyed) return
    await new Promise<void>((resolve) => {
      c.socket.once('close', () => resolve())
      c.socket.destroy()
    })
  }
}
