/**
 * The request and response contracts compiled from the config, at start and at each reload:
 * by the validator processes for every host, and by the validating backend connector
 * (single-validation) for its own host.
 */
import type { LoadedConfig } from '../../config/index.js'
import {
  accessTokenVerifier,
  compileRequestHosts,
  compileUserDataFor,
  readAccessJwks,
  type RequestCheckOptions,
} from './request/index.js'
import { compileHosts } from './schemas.js'
import { compileResponseRulesFor, type ResponseContract } from './response/index.js'

export function requestContractOf(
  config: LoadedConfig,
  openapi: LoadedConfig['openapi'] = config.openapi,
): RequestCheckOptions {
  return {
    deployment: config.deployment,
    hosts: compileRequestHosts(openapi, config.validation),
    maxBodyBytes: config.edge.maxBodyBytes,
    policy: config.validation,
    accessTokens: accessTokenVerifier(readAccessJwks(config.paths.keys)),
    userData: compileUserDataFor(openapi, config.validation.response),
  }
}

/** The response contract of every host in `openapi`. */
export function responseContractOf(
  config: LoadedConfig,
  openapi: LoadedConfig['openapi'] = config.openapi,
): ResponseContract {
  return {
    hosts: compileHosts(openapi),
    rules: compileResponseRulesFor(openapi, config.validation.response),
  }
}
