/**
 * The wiring every stage process shares: it follows its config (what a reload rebuilds is
 * derived from the live config), runs on its buses through `runStage`, and stops following
 * when it stops. A stage's start file says only what is its own.
 */
import { subjects, type ResponseStage } from '../core/index.js'
import {
  closingWith,
  liveOf,
  type ConfigSource,
  type LiveConfig,
  type Logger,
  type Running,
} from '../runtime/index.js'
import { runStage, type DeadLetter, type StageDefinition } from './runner.js'

/** What a stage's caller may tune: how many messages it works on at once. */
export interface StageRunOptions {
  concurrency?: number
}

/** Runs the stage `define` describes, given the live config; its stop also stops the reloads. */
export async function runLiveStage(
  source: ConfigSource,
  log: Logger,
  define: (live: LiveConfig) => StageDefinition,
): Promise<Running> {
  const live = liveOf(source)
  try {
    return closingWith(live, await runStage(live.current(), log, define(live)))
  } catch (e) {
    live.close()
    throw e
  }
}

/**
 * The dead letter of a stage that answers the client itself: the error answer goes on the
 * clean-responses bus as `answerer`, for the request's host.
 */
export function answeredOnCleanResponses(
  answerer: ResponseStage,
  reads: DeadLetter['reads'],
  audit: DeadLetter['audit'],
): DeadLetter {
  return {
    reads,
    to: (request) => ({ bus: 'cresp', subject: subjects.cleanResponse(answerer, request.host) }),
    audit,
  }
}
