import { describe, expect, it } from 'vitest'
import { judgeGoals } from './goals.js'
import { parseOnly, ROWS } from './index.js'

const figures = (target: string, over: Record<string, number> = {}) => ({
  target,
  rps: 1000,
  addedP50AtRateMs: 1,
  addedP99AtRateMs: 5,
  cpuMicrosPerRequest: 450,
  ...over,
})

describe('benchmark goals', () => {
  it('judges each pipeline goal against its limit, haproxy share included', () => {
    const goals = judgeGoals(
      [
        figures('haproxy', { rps: 8000 }),
        { ...figures('pipeline', { cpuMicrosPerRequest: 501 }), addedP50OneAtATimeMs: 1.5 },
      ],
      500,
    )
    const of = (goal: string) => goals.find((g) => g.target === 'pipeline' && g.goal === goal)
    expect(of('CPU per request')).toMatchObject({ value: 501, verdict: 'not met' })
    expect(of('req/s as a share of haproxy + JWT')).toMatchObject({
      value: 0.125,
      verdict: 'not met',
    })
    expect(of('+p50 at 500 req/s')?.verdict).toBe('met')
    expect(of('+p99 at 500 req/s')?.verdict).toBe('met')
    expect(of('+p50 one request at a time')?.verdict).toBe('met')
  })

  it('says "not measured" for a goal whose row did not run, never met', () => {
    const goals = judgeGoals([figures('pipeline ×2 replicas')], 500)
    expect(goals.filter((g) => g.target === 'pipeline').map((g) => g.verdict)).toEqual(
      Array(5).fill('not measured'),
    )
    const edge = goals.filter((g) => g.target.startsWith('edge'))
    expect(edge.map((g) => g.verdict)).toEqual(['not measured', 'not measured'])
    // A variant is judged by the pipeline's goals too; without haproxy its share is unknown.
    const variant = goals.filter((g) => g.target === 'pipeline ×2 replicas')
    expect(variant.map((g) => g.verdict)).toEqual(['met', 'not measured', 'met', 'met'])
  })

  it('judges the edge worker CPU without and with a bearer token', () => {
    const goals = judgeGoals(
      [
        { ...figures('edge'), edgeWorkerMicrosPerRequest: 1200 },
        { ...figures('edge+bearer warm'), edgeWorkerMicrosPerRequest: 1200 },
      ],
      500,
    )
    expect(goals.find((g) => g.target === 'edge')?.verdict).toBe('not met')
    expect(goals.find((g) => g.target === 'edge+bearer warm')?.verdict).toBe('met')
  })
})

describe('--only', () => {
  it('picks rows by name, all by default, and refuses an unknown one', () => {
    expect([...parseOnly(undefined)]).toEqual([...ROWS])
    expect([...parseOnly('pipeline,single')]).toEqual(['pipeline', 'single'])
    expect(() => parseOnly('pipeline,fast')).toThrow(/unknown row fast/)
  })
})
