/**
 * The validating connector at work (`single-validation` topology): dreq (its host's dirty
 * requests) in, cresp (clean responses, as `backend`) out, and between them three steps
 * composed (validating.ts): the request contract, the upstream call, the response contract.
 * The contracts are the validator library's, compiled here for this host only; the upstream
 * call is the connector's own (`connectorStage`, connector.ts). Connects as `backend-<host>`; the brokers let
 * it read only its host's requests and answer only for it. `runLiveStage` does the wiring.
 */
import { subjects } from '../core/index.js'
import type { AuditRecord } from '../bus/audit.js'
import type { StageResult } from '../bus/runner.js'
import { runLiveStage, type StageRunOptions } from '../bus/live-stage.js'
import type { ConfigSource, Logger, Running } from '../runtime/index.js'
import { requestContractOf, responseContractOf } from '../validators/lib/index.js'
import { connectorStage } from './connector.js'
import {
  createValidatingBackend,
  type StepVerdict,
  type ValidatedAnswer,
  type ValidatingVerdict,
} from './validating.js'

/** One audit event per step crossed, as the separate processes would record them. */
export function resultOf(verdict: ValidatingVerdict, startedAt: number): StageResult {
  if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
  const { answer, request, requestId } = verdict
  const event = (
    step: string,
    stage: AuditRecord['stage'],
    v: StepVerdict,
    body?: Uint8Array,
  ): AuditRecord => ({
    step,
    stage,
    verdict: v.verdict,
    request,
    startedAt,
    ...(v.code === undefined ? {} : { code: v.code }),
    ...(v.reason === undefined ? {} : { reason: v.reason }),
    ...(v.status === undefined ? {} : { status: v.status }),
    ...(v.actor === undefined ? {} : { actor: v.actor }),
    ...(body === undefined ? {} : { body }),
  })
  const audit = [event('request', 'request-validator', answer.request, request.body)]
  if (answer.upstream) audit.push(event('upstream', 'backend', answer.upstream))
  if (answer.contract) audit.push(event('response', 'response-validator', answer.contract))
  const fields = {
    requestId,
    status: answer.response.status,
    code: answer.response.error,
    reused: verdict.reused || undefined,
  }
  return {
    send: { bus: 'cresp', subject: verdict.subject, wire: verdict.wire, requestId },
    audit,
    log: answer.response.error
      ? {
          level: 'info',
          event: 'answer',
          fields: {
            ...fields,
            reason: answer.request.reason ?? answer.upstream?.reason ?? answer.contract?.reason,
          },
        }
      : { level: 'debug', event: 'answer', fields },
  }
}

export async function startValidatingBackend(
  source: ConfigSource,
  log: Logger,
  host: string,
  options: StageRunOptions = {},
): Promise<Running> {
  return runLiveStage(source, log, (live) =>
    connectorStage<ValidatedAnswer, ValidatingVerdict>(live, host, options, {
      buses: ['dreq', 'cresp'],
      input: 'dreq',
      handler: (c, parts) =>
        createValidatingBackend({
          ...parts,
          requestContract: requestContractOf(c, { [host]: c.openapi[host]! }),
          responseContract: responseContractOf(c, { [host]: c.openapi[host]! }),
        }),
      resultOf,
      // Its own host's subject, never one the dead envelope names: the grant allows no other.
      deadLetter: {
        reads: 'request',
        to: () => ({ bus: 'cresp', subject: subjects.cleanResponse('backend', host) }),
        audit: { step: 'request', stage: 'backend' },
      },
    }),
  )
}
