/**
 * The config of a running process, reloaded without a restart: on SIGHUP, and when the config
 * file or one of the OpenAPI documents it reads changes. A reload loads and validates
 * everything first and builds every derived policy (compiled contracts, handlers) from it;
 * only when all of that succeeds are they swapped in, together, between two messages. A file
 * that does not load, or a change to a key only a restart can apply, keeps the running policy
 * and logs why.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { dirname } from 'node:path'
import { restartOnlyChanges, watchedFilesOf, type LoadedConfig } from '../config/index.js'
import { sha256HexSync } from './digest.js'
import type { Logger } from './log.js'
import type { Running } from './main.js'
import { failureReason, SetupError } from '../core/index.js'
import { setupFailureFields } from './start-failure.js'

/** A value built from the config, replaced on each reload. */
export interface Live<T> {
  current(): T
}

export type ReloadOutcome =
  | { applied: true; version: number }
  | { applied: false; unchanged: true }
  | { applied: false; reason: string }

export interface LiveConfig extends Live<LoadedConfig> {
  /** Builds `build(config)` now and again at each reload; a throw refuses the reload. */
  derive<T>(build: (config: LoadedConfig) => T): Live<T>
  /** Loads the files again and applies them when they differ (or when `force`). */
  reload(cause: string, force?: boolean): ReloadOutcome
  close(): void
}

/** How long a burst of file events (an editor's write, rename, chmod) settles before a reload. */
const SETTLE_MS = 150

interface Derived {
  build: (config: LoadedConfig) => unknown
  value: unknown
}

/** A config that never changes: what the stages get in tests and one-shot commands. */
export function fixedConfig(config: LoadedConfig): LiveConfig {
  return {
    current: () => config,
    derive: (build) => {
      const value = build(config)
      return { current: () => value }
    },
    reload: () => ({ applied: false, unchanged: true }),
    close: () => {},
  }
}

/** The digest of everything a config was loaded from, to tell a real change from a touch. */
function digestOf(files: readonly string[]): string {
  const parts: Array<string | Uint8Array> = []
  for (const file of files) {
    let bytes: string | Uint8Array
    try {
      bytes = readFileSync(file)
    } catch {
      bytes = '(unreadable)'
    }
    parts.push(file, '\0', bytes, '\0')
  }
  return sha256HexSync(...parts)
}

/**
 * A config that follows its files. `load` reads them again (the process's own `--config` and
 * overrides); `log` gets `reloaded` with the new version, or `reload-refused` with the reason.
 */
export function watchedConfig(
  initial: LoadedConfig,
  load: () => LoadedConfig,
  log: Logger,
  options: { signal?: NodeJS.Signals | false } = {},
): LiveConfig {
  let config = initial
  let version = 1
  let files = watchedFilesOf(config)
  let digest = digestOf(files)
  const derived: Derived[] = []
  let watchers: FSWatcher[] = []
  let timer: NodeJS.Timeout | undefined
  let closed = false

  const reload = (cause: string, force = false): ReloadOutcome => {
    const nextDigest = digestOf(files)
    if (!force && nextDigest === digest) return { applied: false, unchanged: true }
    let next: LoadedConfig
    let values: unknown[]
    try {
      next = load()
      const blocked = restartOnlyChanges(config, next)
      if (blocked.length > 0) {
        throw new SetupError(
          'CONFIG_INVALID',
          `only a restart applies a change to ${blocked.join(', ')}`,
          { key: blocked[0]!, action: 'restart the process to apply it, or undo the change' },
        )
      }
      values = derived.map((d) => d.build(next))
    } catch (e) {
      // The same bytes are not tried again until they change or a SIGHUP forces it.
      digest = nextDigest
      const reason = failureReason(e)
      log.warn('reload-refused', { cause, ...setupFailureFields(e), version })
      return { applied: false, reason }
    }
    config = next
    derived.forEach((d, i) => (d.value = values[i]))
    version++
    const before = files
    files = watchedFilesOf(config)
    digest = digestOf(files)
    if (files.join('\n') !== before.join('\n')) rewatch()
    log.info('reloaded', { cause, version, files: files.length })
    return { applied: true, version }
  }

  const schedule = () => {
    if (closed) return
    clearTimeout(timer)
    timer = setTimeout(() => reload('file-changed'), SETTLE_MS)
    timer.unref()
  }

  // A file's folder is watched rather than the file: an editor that saves by rename replaces
  // the file's inode, and a watch on the old one would never fire again. Any event in the
  // folder is checked against the digest, not only one naming the file: a Kubernetes
  // ConfigMap changes by swapping a `..data` symlink beside it, never the file's own name.
  function rewatch(): void {
    for (const w of watchers) w.close()
    watchers = []
    for (const folder of new Set(files.map((f) => dirname(f)))) {
      try {
        const w = watch(folder, { persistent: false }, schedule)
        w.on('error', () => {})
        watchers.push(w)
      } catch (e) {
        log.warn('reload-watch-failed', { folder, reason: failureReason(e) })
      }
    }
  }
  rewatch()

  const signal = options.signal === undefined ? 'SIGHUP' : options.signal
  const onSignal = () => void reload('SIGHUP', true)
  if (signal) process.on(signal, onSignal)

  return {
    current: () => config,
    derive<T>(build: (config: LoadedConfig) => T): Live<T> {
      const entry: Derived = { build, value: build(config) }
      derived.push(entry)
      return { current: () => entry.value as T }
    },
    reload,
    close() {
      closed = true
      clearTimeout(timer)
      for (const w of watchers) w.close()
      if (signal) process.off(signal, onSignal)
    },
  }
}

/** What a stage's start takes: a loaded config (fixed) or one that follows its files. */
export type ConfigSource = LoadedConfig | LiveConfig

export function liveOf(source: ConfigSource): LiveConfig {
  return 'derive' in source ? source : fixedConfig(source)
}

/** `running`, whose stop also stops following the files. */
export function closingWith(live: LiveConfig, running: Running): Running {
  return {
    stop: async () => {
      live.close()
      await running.stop()
    },
  }
}
