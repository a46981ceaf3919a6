/** `portcullis up`: the whole local stack in the foreground until Ctrl-C or SIGTERM. */
import { configFile } from '../args.js'
import { startStack } from '../stack.js'

export async function up(args: string[]): Promise<number> {
  const stack = await startStack({ configFile: configFile(args) })
  const demo = `${stack.url}/demo/orders`
  process.stdout.write(
    [
      '',
      `Portcullis is up. Ingress: ${stack.url}`,
      '',
      'Try:',
      `  curl -s ${demo}`,
      `  TOKEN=$(npx portcullis token --sub alice --roles orders)`,
      `  curl -s -X POST ${demo} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"item":"tea","quantity":2}'`,
      `  curl -s -X POST ${demo} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"item":"tea","quantity":0}'`,
      `  curl -s ${stack.url}/demo/debug/leak`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  )
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = () => {
      if (stopping) return
      stopping = true
      process.stdout.write('\nstopping...\n')
      void stack.stop().then(resolve)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  return 0
}
