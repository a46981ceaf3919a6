/**
 * The response validator at work: NATS-3 (dirty responses) in, NATS-4 (clean responses) out,
 * as its own identity; `runStage` does the wiring.
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
import { responseContractOf } from '../lib/index.js'
import { createResponseValidator, type ResponseVerdict } from './handler.js'

export const COMPONENT = 'response-validator'

export interface ResponseValidatorRunOptions {
  concurrency?: number
}

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
  options: ResponseValidatorRunOptions = {},
): Promise<Running> {
  const live = liveOf(source)
  const config = live.current()
  const validate = live.derive((c) => createResponseValidator(responseContractOf(c)))
  const running = await runStage(config, log, {
    identity: COMPONENT,
    buses: ['dresp', 'cresp'],
    input: 'dresp',
    ...options,
    stage: () => ({
      handle: (msg, now) => resultOf(validate.current()(msg, now), now),
      deadLetter: {
        reads: 'response',
        to: (request) => ({
          bus: 'cresp',
          subject: subjects.cleanResponse(COMPONENT, request.host),
        }),
        audit: { step: 'response', stage: COMPONENT },
      },
    }),
  })
  return closingWith(live, running)
}
