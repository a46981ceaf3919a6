/**
 * `portcullis topology [--json | --markdown] [--config file]`: who may publish and subscribe
 * what on each bus of the configured topology, the consumers each identity fetches from
 * and the connection type it is pinned to. Plain text for a terminal by default.
 */
import { loadConfig } from '../../config/index.js'
import {
  accessTable,
  accessTableJson,
  describeTopology,
  renderAccessMarkdown,
  renderAccessText,
} from '../../topology/index.js'
import { configFile } from '../args.js'

const USAGE = 'usage: portcullis topology [--json | --markdown] [--config file]\n'

interface Io {
  out: { write(text: string): unknown }
  err: { write(text: string): unknown }
}

export async function topology(
  args: string[],
  io: Io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const json = args.includes('--json')
  const markdown = args.includes('--markdown')
  const unknown = args.filter(
    (a) => a.startsWith('--') && !['--json', '--markdown', '--config'].includes(a),
  )
  if ((json && markdown) || unknown.length) {
    io.err.write(USAGE)
    return 2
  }
  const table = accessTable(describeTopology(loadConfig(configFile(args))))
  if (json) io.out.write(`${JSON.stringify(accessTableJson(table), null, 2)}\n`)
  else if (markdown) io.out.write(renderAccessMarkdown(table))
  else io.out.write(renderAccessText(table))
  return 0
}
