/**
 * Syslog over UDP (RFC 5426): one message per datagram, no framing. A datagram the kernel
 * took counts as sent: UDP never says whether it arrived.
 */
import { createSocket, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { UDP_MAX_PAYLOAD, UDP_WINDOW } from './constants.js'
import { QueuedMirror } from './queued-mirror.js'
import { formatSyslogMessage, type SyslogHeader } from './rfc5424.js'
import type { MirrorRecord, ResolvedTuning, SyslogMirrorConfig } from './types.js'

export class UdpSyslogMirror extends QueuedMirror {
  readonly name = 'syslog' as const
  private readonly socket: Socket
  private readonly header: SyslogHeader
  private sending = 0

  constructor(
    private readonly target: SyslogMirrorConfig,
    queueSize: number,
    tuning: ResolvedTuning,
  ) {
    super(queueSize, tuning)
    this.header = { hostname: tuning.hostname, appName: target.appName, procId: tuning.procId }
    this.socket = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4')
    // Errors also reach each send's callback; this keeps an unhandled 'error' from throwing.
    this.socket.on('error', (e) => this.report(e))
  }

  protected inFlight(): number {
    return this.sending
  }

  protected pump(): void {
    while (this.sending < UDP_WINDOW && this.queue.length > 0 && !this.closed) {
      const record = this.queue.shift()!
      let datagram: Buffer
      try {
        datagram = formatSyslogMessage(record, this.header, this.tuning.maxMessageBytes)
      } catch (e) {
        this.lost(1, e)
        continue
      }
      if (datagram.length > UDP_MAX_PAYLOAD) {
        this.lost(
          1,
          new Error(`syslog message of ${datagram.length} octets cannot be one datagram`),
        )
        continue
      }
      this.sending++
      this.socket.send(datagram, this.target.port, this.target.host, (error) =>
        this.settle(record, error),
      )
    }
  }

  private settle(record: MirrorRecord, error: Error | null): void {
    if (this.closed) return
    this.sending--
    if (error) this.retryLater([record], error)
    else {
      this.delivered(1)
      this.schedulePump()
    }
  }

  protected async stop(): Promise<void> {
    this.lost(this.sending)
    this.sending = 0
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve())
      } catch {
        resolve()
      }
    })
  }
}
