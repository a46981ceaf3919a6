/**
 * The request validator at work: NATS-1 (dirty requests) in, NATS-2 (clean requests) or
 * NATS-4 (rejections) out, as its own identity; `runStage` does the wiring.
 */
import { subjects } from '../../core/index.js'
import type { LoadedConfig } from '../../config/index.js'
import { runStage, type StageResult } from '../../bus/runner.js'
import {
  closingWith,
  liveOf,
  type ConfigSource,
  type Logger,
  type Running,
} from '../../runtime/index.js'
import { requestContractOf } from '../lib/index.js'
import { createRequestValidator, type RequestVerdict } from './handler.js'

export const COMPONENT = 'request-validator'

export interface RequestValidatorRunOptions {
  concurrency?: number
}

/** A verdict as the runner sends, audits and logs it. */
export function resultOf(verdict: RequestVerdict, startedAt: number): StageResult {
  if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
  const { request, requestId } = verdict
  const event = {
    step: 'request',
    stage: COMPONENT,
    request,
    startedAt,
    body: request.body,
  } as const
  if (verdict.kind === 'forward') {
    return {
      send: { bus: 'creq', subject: verdict.subject, wire: verdict.wire, requestId },
      audit: {
        ...event,
        verdict: 'accept',
        ...(verdict.actor === undefined ? {} : { actor: verdict.actor }),
      },
      log: {
        level: 'debug',
        event: 'forward',
        fields: { requestId, operation: verdict.operation },
      },
    }
  }
  const { code, reason } = verdict
  return {
    send: { bus: 'cresp', subject: verdict.subject, wire: verdict.wire, requestId },
    audit: { ...event, verdict: 'reject', code, reason },
    log: { level: 'info', event: 'reject', fields: { requestId, code, reason } },
  }
}

export async function startRequestValidator(
  source: ConfigSource,
  log: Logger,
  options: RequestValidatorRunOptions = {},
): Promise<Running> {
  const live = liveOf(source)
  const config = live.current()
  const validate = live.derive((c) => createRequestValidator(requestContractOf(c)))
  const running = await runStage(config, log, {
    identity: COMPONENT,
    buses: ['dreq', 'creq', 'cresp'],
    input: 'dreq',
    ...options,
    stage: () => ({
      handle: async (msg, now) => resultOf(await validate.current()(msg, now), now),
      deadLetter: {
        reads: 'request',
        to: (request) => ({
          bus: 'cresp',
          subject: subjects.cleanResponse(COMPONENT, request.host),
        }),
        audit: { step: 'request', stage: COMPONENT },
      },
    }),
  })
  return closingWith(live, running)
}
