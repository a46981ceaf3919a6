/**
 * The goals the benchmark's figures are read against (issue: production load), each judged
 * met or not met from one run's results. A goal whose figure is missing (its row skipped or
 * not selected) says so instead of a verdict.
 */

/** The figures of one target that the goals read. */
export interface TargetFigures {
  target: string
  rps: number
  addedP50AtRateMs: number
  addedP99AtRateMs: number
  cpuMicrosPerRequest: number
  /** workerd's CPU per request, for the targets through the edge. */
  edgeWorkerMicrosPerRequest?: number
  /** p50 added over direct with one request in flight. */
  addedP50OneAtATimeMs?: number
}

export interface GoalVerdict {
  target: string
  goal: string
  value: number | null
  limit: number
  unit: string
  verdict: 'met' | 'not met' | 'not measured'
}

export const GOALS = {
  pipelineCpuMicros: 500,
  pipelineShareOfHaproxy: 0.25,
  addedP50AtRateMs: 2,
  addedP99AtRateMs: 10,
  addedP50OneAtATimeMs: 2,
  edgeWorkerMicros: 1000,
  edgeWorkerBearerMicros: 2000,
} as const

/** Targets the pipeline's goals apply to: the pipeline and its variants (replicas, nodes). */
export const isPipeline = (target: string) => target.startsWith('pipeline')

function judge(
  target: string,
  goal: string,
  value: number | undefined,
  limit: number,
  unit: string,
  atMost: boolean,
): GoalVerdict {
  const known = value !== undefined && Number.isFinite(value)
  return {
    target,
    goal,
    value: known ? value : null,
    limit,
    unit,
    verdict: !known
      ? 'not measured'
      : (atMost ? value <= limit : value >= limit)
        ? 'met'
        : 'not met',
  }
}

export function judgeGoals(figures: TargetFigures[], rate: number): GoalVerdict[] {
  const haproxy = figures.find((f) => f.target === 'haproxy')
  const out: GoalVerdict[] = []
  // The goals' own targets are always listed, measured or not.
  const targets = [
    ...new Set(['pipeline', ...figures.map((f) => f.target), 'edge', 'edge+bearer warm']),
  ]
  for (const target of targets) {
    const f: Partial<TargetFigures> & { target: string } = figures.find(
      (x) => x.target === target,
    ) ?? { target }
    if (isPipeline(f.target)) {
      out.push(
        judge(
          f.target,
          'CPU per request',
          f.cpuMicrosPerRequest,
          GOALS.pipelineCpuMicros,
          'µs',
          true,
        ),
        judge(
          f.target,
          'req/s as a share of haproxy + JWT',
          haproxy && f.rps !== undefined
            ? Math.round((f.rps / haproxy.rps) * 1000) / 1000
            : undefined,
          GOALS.pipelineShareOfHaproxy,
          '× haproxy',
          false,
        ),
        judge(
          f.target,
          `+p50 at ${rate} req/s`,
          f.addedP50AtRateMs,
          GOALS.addedP50AtRateMs,
          'ms',
          true,
        ),
        judge(
          f.target,
          `+p99 at ${rate} req/s`,
          f.addedP99AtRateMs,
          GOALS.addedP99AtRateMs,
          'ms',
          true,
        ),
      )
      if (f.target === 'pipeline')
        out.push(
          judge(
            f.target,
            '+p50 one request at a time',
            f.addedP50OneAtATimeMs,
            GOALS.addedP50OneAtATimeMs,
            'ms',
            true,
          ),
        )
    }
    if (f.target === 'edge')
      out.push(
        judge(
          f.target,
          'edge worker CPU per request, no token',
          f.edgeWorkerMicrosPerRequest,
          GOALS.edgeWorkerMicros,
          'µs',
          true,
        ),
      )
    if (f.target === 'edge+bearer warm')
      out.push(
        judge(
          f.target,
          'edge worker CPU per request, bearer verified',
          f.edgeWorkerMicrosPerRequest,
          GOALS.edgeWorkerBearerMicros,
          'µs',
          true,
        ),
      )
  }
  return out
}
