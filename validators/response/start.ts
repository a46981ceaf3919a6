/**
 * The response validator at work: dresp (dirty responses) in, cresp (clean responses) out,
 * as its own identity; `runStage` does the wiring.
 */
import type { StageResult } from '../../bus/runner.js'
import {
  answeredOnCleanResponses,
  runLiveStage,
  type StageRunOptions,
} from '../../bus/live-stage.js'
import type { ConfigSource, Logger, Running } from '../../runtime/index.js'
import { responseContractOf } from '../lib/index.js'
import { createResponseValidator, type ResponseVerdict } from './handler.js'

export const COMPONENT = 'response-validator'

/** A verdict as the runner sends, audits and logs it. */
export function resultOf(verdict: ResponseVerdict, startedAt: number): StageResult {
  if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
  const { requestId, status, code, refused, dropped } = verdict
  const reason = refused
    ? (verdict.reason ?? 'refused')
    : dropped
      ? `dropped undeclared members: ${dropped.join(' ')}`
      : undefined
  const fields = { requestId, status, code }
  return {
    send: { bus: 'cresp', subject: verdict.subject, wire: verdict.wire, requestId },
    audit: {
      step: 'response',
      stage: COMPONENT,
      verdict: refused ? 'reject' : 'accept',
      request: verdict.request,
      startedAt,
      status,
      ...(code === undefined ? {} : { code }),
      ...(reason === undefined ? {} : { reason }),
    },
    log: refused
      ? { level: 'info', event: 'refuse', fields: { ...fields, reason: verdict.reason } }
      : dropped
        ? { level: 'info', event: 'pass', fields: { ...fields, dropped: dropped.join(' ') } }
        : { level: 'debug', event: 'pass', fields },
  }
}

export async function startResponseValidator(
  source: ConfigSource,
  log: Logger,
  options: StageRunOptions = {},
): Promise<Running> {
  return runLiveStage(source, log, (live) => {
    const validate = live.derive((c) => createResponseValidator(responseContractOf(c)))
    return {
      identity: COMPONENT,
      buses: ['dresp', 'cresp'],
      input: 'dresp',
      ...options,
      stage: () => ({
        handle: (msg, now) => resultOf(validate.current()(msg, now), now),
        deadLetter: answeredOnCleanResponses(COMPONENT, 'response', {
          step: 'response',
          stage: COMPONENT,
        }),
      }),
    }
  })
}
