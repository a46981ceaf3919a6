/**
 * Where things live in the pod's one image and its containers. The compose generator, the
 * image build and the structural tests read these; the Dockerfile spells the same paths.
 */
import { posix } from 'node:path'
import { PROCESS_MAINS } from '../cli/build.js'

/** The tag `docker compose` builds the image under and every service runs. */
export const IMAGE = 'portcullis:local'
/** The bundled processes: `<DIST>/<main>.mjs` for each main below. */
export const DIST = '/app/dist'
/** The nats-server containers' entry: render this server's config, then exec nats-server. */
export const NATS_ENTRY = '/app/deploy/nats-server.sh'
/** The config file and each upstream's OpenAPI document, mounted read-only. */
export const CONFIG_DIR = '/etc/portcullis'
/** The host's key folder, mounted read-only. */
export const KEYS_DIR = '/run/portcullis/keys'
/** The JetStream stores, one volume per server; the image creates it for its user. */
export const DATA_DIR = '/var/lib/portcullis'

/** The pod's own one-shot processes, bundled beside the stages. */
export const POD_MAINS = ['deploy/pod/nats-config.ts', 'deploy/pod/provision.ts'] as const
/** The console reads the process table of `portcullis up`, which the pod does not have. */
type PodProcessMain = Exclude<(typeof PROCESS_MAINS)[number], 'console/main.ts'>
const POD_PROCESS_MAINS = PROCESS_MAINS.filter((m): m is PodProcessMain => m !== 'console/main.ts')
export const IMAGE_MAINS = [...POD_PROCESS_MAINS, ...POD_MAINS] as const
export type ImageMain = (typeof IMAGE_MAINS)[number]

export function bundlePath(main: ImageMain, dist = DIST): string {
  return posix.join(dist, main.replace(/\.ts$/, '.mjs'))
}
