/**
 * The files generated from the default config (`portcullis.config.json`) and the topology
 * description, committed so they can be read without running anything: docs/topology.md
 * (who may read and write what; docs/topology-<mode>.md for the other two modes) and
 * deploy/compose.yaml (the container pod).
 * `npm run generate` writes them; generated.test.ts fails when one is out of date.
 */
import { writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig, TOPOLOGY_MODES, type TopologyMode } from '../config/index.js'
import { podCompose, renderCompose } from '../deploy/compose.js'
import { accessTable, describeTopology, renderAccessMarkdown } from '../topology/index.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const DEFAULT_CONFIG = join(ROOT, 'portcullis.config.json')
export const TOPOLOGY_DOC = join(ROOT, 'docs', 'topology.md')
export const COMPOSE_FILE = join(ROOT, 'deploy', 'compose.yaml')

export function topologyDoc(configFile = DEFAULT_CONFIG, mode?: TopologyMode): string {
  const config = loadConfig(configFile, mode === undefined ? undefined : { topology: mode })
  const table = accessTable(describeTopology(config))
  const file = `\`${relative(ROOT, configFile)}\``
  const source = mode === undefined ? file : `${file} with \`"topology": "${mode}"\``
  return renderAccessMarkdown(
    table,
    `Generated from ${source} and the topology description (\`topology/description/\`) by` +
      ' `npm run generate`; a test fails when this file is out of date. `npx portcullis' +
      ' topology` prints the same for any config.',
  )
}

export function composeFile(configFile = DEFAULT_CONFIG): string {
  const compose = podCompose({
    configFile,
    composeDir: join(ROOT, 'deploy'),
    repoRoot: ROOT,
  })
  return renderCompose(compose, relative(ROOT, configFile))
}

const DEFAULT_MODE = loadConfig(DEFAULT_CONFIG).topology

export const GENERATED: Array<{ path: string; render: () => string }> = [
  { path: TOPOLOGY_DOC, render: () => topologyDoc() },
  ...TOPOLOGY_MODES.filter((m) => m !== DEFAULT_MODE).map((mode) => ({
    path: join(ROOT, 'docs', `topology-${mode}.md`),
    render: () => topologyDoc(DEFAULT_CONFIG, mode),
  })),
  { path: COMPOSE_FILE, render: () => composeFile() },
]

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of GENERATED) {
    writeFileSync(file.path, file.render())
    process.stdout.write(`wrote ${relative(ROOT, file.path)}\n`)
  }
}
