/**
 * `tsx deploy/build.ts <outDir>`: bundles every process the pod runs (the stages, the demo
 * upstream and the pod's own nats-config and provision steps) into `<outDir>`, as
 * `portcullis up` bundles its own. The image build runs it; the image carries only the output.
 */
import { resolve } from 'node:path'
import { buildProcesses } from '../cli/build.js'
import { IMAGE_MAINS } from './image.js'

const outDir = process.argv[2]
if (!outDir) {
  process.stderr.write('usage: tsx deploy/build.ts <outDir>\n')
  process.exit(2)
}
const bundles = await buildProcesses(resolve(outDir), IMAGE_MAINS)
process.stdout.write(`${Object.keys(bundles).length} bundles in ${resolve(outDir)}\n`)
