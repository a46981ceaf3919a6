/**
 * The request validator at work: dreq (dirty requests) in, creq (clean requests) or
 * cresp (rejections) out, as its own identity; `runStage` does the wiring.
 */
import type { StageResult } from '../../bus/runner.js'
import {
  answeredOnCleanResponses,
  runLiveStage,
  type StageRunOptions,
} from '../../bus/live-stage.js'
import type { ConfigSource, Logger, Running } from '../../runtime/index.js'
import { requestContractOf } from '../lib/index.js'
import { createRequestValidator, type RequestVerdict } from './handler.js'

export const COMPONENT = 'request-validator'

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
  options: StageRunOptions = {},
): Promise<Running> {
  return runLiveStage(source, log, (live) => {
    const validate = live.derive((c) => createRequestValidator(requestContractOf(c)))
    return {
      identity: COMPONENT,
      buses: ['dreq', 'creq', 'cresp'],
      input: 'dreq',
      ...options,
      stage: () => ({
        handle: async (msg, now) => resultOf(await validate.current()(msg, now), now),
        deadLetter: answeredOnCleanResponses(COMPONENT, 'request', {
          step: 'request',
          stage: COMPONENT,
        }),
      }),
    }
  })
}
