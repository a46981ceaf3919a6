import { describe, expect, it } from 'vitest'
import { edgeIdOfLinkRequest, isInboxOf, parseCleanResponse, subjects } from './index.js'

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
    expect(parseCleanResponse('pc.cresp.backend.demo')).toBeUndefined()
  })
})
