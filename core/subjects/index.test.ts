import { describe, expect, it } from 'vitest'
import {
  edgeIdOfLinkRequest,
  isInboxOf,
  parseCleanRequest,
  parseCleanResponse,
  identityOfAudit,
  parseDirtyRequest,
  parseDirtyResponse,
  patternsOverlap,
  subjects,
} from './index.js'

describe('subjects', () => {
  it('lays out every bus under its own prefix', () => {
    expect(subjects.linkRequest('local')).toBe('pc.link.req.local')
    expect(subjects.dirtyRequest('local', 'demo')).toBe('pc.dreq.local.demo')
    expect(subjects.cleanRequest('demo')).toBe('pc.creq.demo')
    expect(subjects.dirtyResponse('demo')).toBe('pc.dresp.demo')
    expect(subjects.cleanResponse('response-validator', 'demo')).toBe(
      'pc.cresp.response-validator.demo',
    )
  })

  it.each(['demo.x', 'demo*', '>', 'Demo', '', '-demo', 'a'.repeat(64)])(
    'BUS-SUBJ-001 refuses %j as a subject token (no wildcard or extra level can be injected)',
    (bad) => {
      expect(() => subjects.cleanRequest(bad)).toThrow(TypeError)
      expect(() => subjects.linkRequest(bad)).toThrow(TypeError)
    },
  )

  it('reads the edge id only from a well-formed link request subject', () => {
    expect(edgeIdOfLinkRequest('pc.link.req.local')).toBe('local')
    expect(edgeIdOfLinkRequest('pc.link.req.local.extra')).toBeUndefined()
    expect(edgeIdOfLinkRequest('pc.link.inbox.local')).toBeUndefined()
  })

  it('accepts a reply only inside the asking edge inbox', () => {
    expect(isInboxOf('pc.link.inbox.local.AbC123.7', 'local')).toBe(true)
    expect(isInboxOf('pc.link.inbox.local', 'local')).toBe(false)
    expect(isInboxOf('pc.link.inbox.other.X.1', 'local')).toBe(false)
    expect(isInboxOf('pc.link.inbox.local.>', 'local')).toBe(false)
    expect(isInboxOf('pc.link.inbox.local.*', 'local')).toBe(false)
  })

  it('takes the publishing stage from the clean-response subject', () => {
    expect(parseCleanResponse('pc.cresp.request-validator.demo')).toEqual({
      stage: 'request-validator',
      host: 'demo',
    })
    expect(parseCleanResponse('pc.cresp.backend.demo')).toEqual({ stage: 'backend', host: 'demo' })
    expect(parseCleanResponse('pc.cresp.relay.demo')).toBeUndefined()
  })

  it('BUS-230 takes the audit publisher only from its own segment', () => {
    expect(subjects.audit('backend-demo')).toBe('pc.audit.backend-demo')
    expect(identityOfAudit('pc.audit.edge-local')).toBe('edge-local')
    for (const bad of ['pc.audit', 'pc.audit.a.b', 'pc.audit.*', 'pc.audit.>', 'pc.dreq.relay']) {
      expect(identityOfAudit(bad), bad).toBeUndefined()
    }
    expect(() => subjects.audit('relay.x')).toThrow(TypeError)
  })

  it('BUS-203 reads the certified caller only from a well-formed subject of its own bus', () => {
    expect(parseDirtyRequest('pc.dreq.local.demo')).toEqual({ edgeId: 'local', host: 'demo' })
    expect(parseCleanRequest('pc.creq.demo')).toEqual({ host: 'demo' })
    expect(parseDirtyResponse('pc.dresp.demo')).toEqual({ host: 'demo' })
    for (const bad of [
      'pc.dreq.local',
      'pc.dreq.local.demo.x',
      'pc.dreq.Local.demo',
      'pc.creq.local.demo',
      'pc.dresp.demo',
      'pc-trust.dreq.local.demo',
      'xx.dreq.local.demo',
    ]) {
      expect(parseDirtyRequest(bad), bad).toBeUndefined()
    }
    for (const bad of ['pc.creq', 'pc.creq.demo.x', 'pc.creq.*', 'pc.dresp.demo', 'pc.creq.']) {
      expect(parseCleanRequest(bad), bad).toBeUndefined()
    }
    for (const bad of ['pc.dresp', 'pc.dresp.demo.x', 'pc.dresp.>', 'pc.creq.demo']) {
      expect(parseDirtyResponse(bad), bad).toBeUndefined()
    }
    expect(parseCleanResponse('pc.cresp.response-validator.demo.x')).toBeUndefined()
    expect(parseCleanResponse('pc.cresp.response-validator.*')).toBeUndefined()
  })

  it('BUS-204 the trust root has a top-level segment of its own: no gateway wildcard reaches it', () => {
    expect(subjects.trustRoot('keys')).toBe('pc-trust.keys')
    const gatewayWide = ['pc.>', 'pc.*.>', 'pc.link.>', 'pc.cresp.*.*', '_i.relay.>', '$JS.API.>']
    for (const grant of gatewayWide) {
      expect(patternsOverlap(grant, subjects.trustRootAll), grant).toBe(false)
    }
    // What would reach it, so the topology's own check has something to find.
    for (const grant of ['>', '*.>', 'pc-trust.*', 'pc-trust.keys', '*.keys']) {
      expect(patternsOverlap(grant, subjects.trustRootAll), grant).toBe(true)
    }
  })

  it('decides whether two subject patterns can match one subject', () => {
    expect(patternsOverlap('a.b', 'a.b')).toBe(true)
    expect(patternsOverlap('a.*', 'a.b')).toBe(true)
    expect(patternsOverlap('a.*', 'a.b.c')).toBe(false)
    expect(patternsOverlap('a.>', 'a')).toBe(false)
    expect(patternsOverlap('a.>', 'a.b.c')).toBe(true)
    expect(patternsOverlap('*.b', 'a.>')).toBe(true)
    expect(patternsOverlap('a.b', 'a.c')).toBe(false)
  })
})
