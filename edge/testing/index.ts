/**
 * Test doubles and fixtures for the edge's own tests (never imported by the worker).
 */
import { env } from 'cloudflare:workers'
import {
  GatewayError,
  compileRoutes,
  readEdgePolicy,
  type EdgePolicy,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import type { Link } from '../ingress/index.js'

/** The policy the pool was given: compiled from the repository's portcullis.config.json. */
export function configuredPolicy(): EdgePolicy {
  return readEdgePolicy(env.POLICY)
}

/** A host whose routes declare every port, so the firewall alone decides what passes. */
export function policyWithAllPorts(deployment: EdgePolicy['deployment']): EdgePolicy {
  const base = configuredPolicy()
  const ports = [443, 80, 444, 417, 428, 888, 666, 8443, 22, 1]
  const wide = compileRoutes('wide', {
    openapi: '3.1.0',
    paths: { '/ping': { get: { operationId: 'ping', 'x-portcullis-ports': ports } } },
  })
  return { ...base, deployment, hosts: { ...base.hosts, wide } }
}

export interface RecordingLink extends Link {
  sent: Array<{ request: RequestEnvelope; timeoutMs: number }>
}

type Answer = (request: RequestEnvelope) => Partial<ResponseEnvelope> | GatewayError

/** A link that records what it was asked and answers with `answer` (200 `ok` by default). */
export function recordingLink(answer: Answer = () => ({})): RecordingLink {
  const sent: RecordingLink['sent'] = []
  return {
    sent,
    async send(request, timeoutMs) {
      sent.push({ request, timeoutMs })
      const a = answer(request)
      if (a instanceof GatewayError) throw a
      return {
        request: { ...request },
        status: 200,
        headers: [['content-type', 'text/plain']],
        body: new TextEncoder().encode('ok'),
        ...a,
      }
    },
  }
}
