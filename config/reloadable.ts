/**
 * Which parts of the config a running process may take on without a restart: the policy
 * (OpenAPI documents and what they declare, validation limits, token settings, identity
 * providers, the edge's limits, where and how long an existing upstream is called). What
 * shapes processes, ports, identities and storage (topology, buses, keys, hosts added or
 * removed, audit, replicas) needs a restart.
 */
import { resolve } from 'node:path'
import { isObject } from '../core/index.js'
import type { LoadedConfig } from './load.js'
import type { Config, UpstreamConfig } from './types.js'

/** Top-level keys a reload applies whole. */
const RELOADABLE_KEYS = ['validation', 'tokens', 'identityProviders'] as const
/** Keys of `edge` a reload applies. */
const RELOADABLE_EDGE_KEYS = ['deadlineMs', 'maxUrlBytes', 'maxBodyBytes', 'tokenEndpointRateLimit']
/** Keys of an existing upstream a reload applies. */
const RELOADABLE_UPSTREAM_KEYS = ['baseUrl', 'openapi', 'timeoutMs'] as const satisfies Array<
  keyof UpstreamConfig
>

/** The keys of `host`'s upstream a reload applies, as `config` has them now. */
export function reloadableUpstreamOf(
  config: LoadedConfig,
  host: string,
): Pick<UpstreamConfig, (typeof RELOADABLE_UPSTREAM_KEYS)[number]> {
  const upstream = config.upstreams[host]!
  const { baseUrl, openapi, timeoutMs } = upstream
  return { baseUrl, openapi, timeoutMs }
}

/** The config with every reloadable key taken out: what must not differ across a reload. */
function restartOnlyPart(config: Config): Record<string, unknown> {
  const part: Record<string, unknown> = { ...config }
  for (const key of RELOADABLE_KEYS) delete part[key]
  const edge: Record<string, unknown> = { ...config.edge }
  for (const key of RELOADABLE_EDGE_KEYS) delete edge[key]
  part.edge = edge
  const upstreams: Record<string, unknown> = {}
  for (const [host, upstream] of Object.entries(config.upstreams)) {
    const rest: Record<string, unknown> = { ...upstream }
    for (const key of RELOADABLE_UPSTREAM_KEYS) delete rest[key]
    upstreams[host] = rest
  }
  part.upstreams = upstreams
  for (const derived of ['file', 'openapi', 'routes', 'openapiFiles']) delete part[derived]
  return part
}

/** Leaf keys (`bus.ports.dreq`, `upstreams.shop`) where `a` and `b` differ. */
function differences(a: unknown, b: unknown, at: string, out: string[]): void {
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const path = at ? `${at}.${key}` : key
      if (!(key in a) || !(key in b)) out.push(path)
      else differences(a[key], b[key], path, out)
    }
  } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(at || '(root)')
}

/** The keys that changed from `running` to `next` which only a restart can apply. */
export function restartOnlyChanges(running: LoadedConfig, next: LoadedConfig): string[] {
  const out: string[] = []
  if (running.file !== next.file) out.push('(config file)')
  differences(restartOnlyPart(running), restartOnlyPart(next), '', out)
  return out
}

/** Every file the config was loaded from: the config file, then each OpenAPI document's files. */
export function watchedFilesOf(config: LoadedConfig): string[] {
  const files = new Set<string>([config.file])
  const read = (config as { openapiFiles?: Record<string, string[]> }).openapiFiles
  for (const [host, upstream] of Object.entries(config.upstreams)) {
    const list = read?.[host] ?? [resolve(config.file, '..', upstream.openapi)]
    for (const file of list) files.add(file)
  }
  return [...files]
}
