/**
 * The request contract compiled from the config, once at start: by the request validator for
 * every host, and by the validating backend connector (single-validation) for its own host.
 */
import type { LoadedConfig } from '../../config/index.js'
import {
  accessTokenVerifier,
  compileRequestHosts,
  compileUserDataFor,
  readAccessJwks,
  type RequestCheckOptions,
} from '../lib/index.js'

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
