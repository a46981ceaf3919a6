/**
 * One backend connector at work for one upstream host: the creq bus (its host's clean
 * requests) in, the operator's HTTP API, the dresp bus (dirty responses) out. Connects as
 * `backend-<host>`, the identity the brokers pin to that host's subjects; `connectorStage`
 * (connector.ts) makes its parts and `runLiveStage` does the wiring.
 */
import { subjects } from '../core/index.js'
import type { StageResult } from '../bus/runner.js'
import { runLiveStage, type StageRunOptions } from '../bus/live-stage.js'
import type { ConfigSource, Logger, Running } from '../runtime/index.js'
import { connectorStage } from './connector.js'
import { createBackendHandler, type Answer, type BackendVerdict } from './handler.js'

/** A verdict as the runner sends, audits and logs it. */
export function resultOf(verdict: BackendVerdict, startedAt: number): StageResult {
  if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
  const { requestId, status, code, reason } = verdict
  const fields = { requestId, status, reused: verdict.reused || undefined }
  return {
    send: { bus: 'dresp', subject: verdict.subject, wire: verdict.wire, requestId },
    audit: {
      step: 'upstream',
      stage: 'backend',
      verdict: code ? 'error' : 'accept',
      request: verdict.request,
      startedAt,
      status,
      ...(code === undefined ? {} : { code }),
      ...(reason === undefined ? {} : { reason }),
    },
    log: code
      ? { level: 'info', event: 'upstream-failed', fields: { ...fields, code, reason } }
      : { level: 'debug', event: 'upstream', fields },
  }
}

/** The connector of the `isolated` and `single-nats` topologies (main.ts picks). */
export async function startBackend(
  source: ConfigSource,
  log: Logger,
  host: string,
  options: StageRunOptions = {},
): Promise<Running> {
  return runLiveStage(source, log, (live) => {
    if (live.current().topology === 'single-validation') {
      throw new Error(
        'unreachable: the single-validation topology runs the validating connector (backend/main.ts picks)',
      )
    }
    return connectorStage<Answer, BackendVerdict>(live, host, options, {
      buses: ['creq', 'dresp'],
      input: 'creq',
      handler: (_config, parts) => createBackendHandler(parts),
      resultOf,
      deadLetter: {
        reads: 'request',
        to: () => ({ bus: 'dresp', subject: subjects.dirtyResponse(host) }),
        audit: { step: 'upstream', stage: 'backend' },
      },
    })
  })
}
