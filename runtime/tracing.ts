/**
 * Spans of an on-prem process (OpenTelemetry JS SDK), exported over OTLP/HTTP when the config
 * names a collector (`tracing.otlpUrl`); without one, `stageSpan` costs nothing and returns
 * nothing. Each stage's span is a child of the hop that sent the request on (the envelope's
 * trace); its id becomes the parent the next hop sees (core/trace). The active span is kept
 * per async call chain, so work a stage starts inside its span (the backend's upstream call)
 * can be a child of it.
 */
import {
  context,
  trace as otelTrace,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Span,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import type { TraceContext } from '../core/index.js'

let provider: BasicTracerProvider | undefined

/** Starts exporting this process's spans to `otlpUrl`; once per process. */
export function startTracing(service: string, otlpUrl: string, processor?: SpanProcessor): void {
  if (provider) return
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [
      processor ??
        new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpUrl }), {
          scheduledDelayMillis: 500,
        }),
    ],
  })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  otelTrace.setGlobalTracerProvider(provider)
}

/** Sends what is left and stops. */
export async function stopTracing(): Promise<void> {
  await provider?.shutdown()
  provider = undefined
}

export const tracingOn = (): boolean => provider !== undefined

/** A span as the request's next hop will see it: its id is the new parent. */
export interface StageSpan {
  span: Span
  /** The trace to send on, this span as its parent. */
  next: TraceContext
  /** Runs `fn` with this span active (children started inside it are its children). */
  run<T>(fn: () => T): T
  end(outcome: { status?: number; code?: string; failed?: boolean }): void
}

/** A span for one message of a stage, child of `parent`; undefined when tracing is off. */
export function stageSpan(
  name: string,
  parent: TraceContext | undefined,
  attributes: Record<string, string | number>,
  kind: SpanKind = SpanKind.CONSUMER,
): StageSpan | undefined {
  if (!provider || !parent) return undefined
  const remote = otelTrace.setSpanContext(context.active(), {
    traceId: parent.traceId,
    spanId: parent.parentId,
    traceFlags: parent.flags === '01' ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  })
  const span = otelTrace.getTracer('portcullis').startSpan(name, { kind, attributes }, remote)
  const active = otelTrace.setSpan(remote, span)
  return {
    span,
    next: { ...parent, parentId: span.spanContext().spanId },
    run: (fn) => context.with(active, fn),
    end({ status, code, failed }) {
      if (status !== undefined) span.setAttribute('http.response.status_code', status)
      if (code) {
        span.setAttribute('error.type', code)
        span.setStatus({ code: SpanStatusCode.ERROR, message: code })
      } else if (failed) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    },
  }
}

/** A child of the active span (the backend's upstream call); undefined when none is active. */
export function childSpan(
  name: string,
  attributes: Record<string, string | number>,
): Span | undefined {
  if (!provider) return undefined
  const parent = otelTrace.getSpan(context.active())
  if (!parent) return undefined
  return otelTrace.getTracer('portcullis').startSpan(name, { kind: SpanKind.CLIENT, attributes })
}

export { SpanKind }
