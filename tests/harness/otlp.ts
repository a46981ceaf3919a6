/**
 * A local OTLP/HTTP traces endpoint (JSON, what the gateway's exporters send): stands in for
 * a collector, keeps every span with the service that sent it.
 */
import { createServer, type Server } from 'node:http'
import { closeServer } from '../../runtime/index.js'

export interface ReceivedSpan {
  service: string
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  attributes: Record<string, string | number>
  status?: { code?: number; message?: string }
}

export interface OtlpReceiver {
  url: string
  spans: ReceivedSpan[]
  close(): Promise<void>
}

type Value = { stringValue?: string; intValue?: string | number }

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: Array<{
            resource?: { attributes?: Array<{ key: string; value: Value }> }
            scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }>
          }>
        }
        for (const rs of body.resourceSpans ?? []) {
          const service =
            rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? ''
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? []) {
              const attributes: Record<string, string | number> = {}
              for (const a of (s.attributes as Array<{ key: string; value: Value }>) ?? []) {
                attributes[a.key] = a.value.stringValue ?? Number(a.value.intValue)
              }
              const parent = s.parentSpanId as string | undefined
              spans.push({
                service,
                traceId: s.traceId as string,
                spanId: s.spanId as string,
                ...(parent && { parentSpanId: parent }),
                name: s.name as string,
                attributes,
                ...(s.status ? { status: s.status as ReceivedSpan['status'] } : {}),
              })
            }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      } catch {
        res.writeHead(400).end()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    url: `http://127.0.0.1:${address.port}/v1/traces`,
    spans,
    close: () => closeServer(server),
  }
}
