/** `portcullis up`: the whole local stack in the foreground until Ctrl-C or SIGTERM. */
import { configFile } from '../args.js'
import { startStack, type Stack } from '../stack.js'

export async function up(args: string[]): Promise<number> {
  // Listening from the start: a Ctrl-C or SIGTERM while the stack starts must still stop
  // what has started (the stages run in process groups of their own, which a terminal's
  // Ctrl-C does not reach), so it stops the stack as soon as the start is over.
  let stack: Stack | undefined
  let asked = false
  let stopped: () => void = () => undefined
  const done = new Promise<void>((resolve) => (stopped = resolve))
  const stop = () => {
    if (asked) return
    asked = true
    process.stdout.write('\nstopping...\n')
    if (stack) void stack.stop().then(stopped)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  // SIGHUP reloads the policy once the stack runs (cli/stack.ts); before that it must not
  // end `up` half-started.
  process.on('SIGHUP', () => undefined)

  try {
    stack = await startStack({ configFile: configFile(args) })
  } catch (e) {
    // The start stopped what it had started: nothing is left to stop gracefully.
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    throw e
  }
  if (asked) {
    await stack.stop()
    return 0
  }
  process.stdout.write(
    [
      '',
      `Portcullis is up. Ingress: ${stack.url}`,
      ...(stack.consoleUrl
        ? [`Console (its login token is in the link; keep it private): ${stack.consoleUrl}`]
        : []),
      '',
      ...tryLines(stack),
      '',
      `Every process, its pid and health: npx portcullis status${stack.stateFile ? ` (${stack.stateFile})` : ''}`,
      'A process that exits unasked is restarted. Ctrl-C stops everything.',
      '',
    ].join('\n'),
  )
  await done
  return 0
}

/** What to try first: the demo's requests, or where each of the config's own hosts is served. */
function tryLines(stack: Stack): string[] {
  const hosts = Object.keys(stack.config.upstreams)
  if (!hosts.includes('demo')) {
    return [
      'Your API, one path per upstream host:',
      ...hosts.map((h) => `  ${stack.url}/${h}/...  ->  ${stack.config.upstreams[h]!.baseUrl}`),
      `Each route and what it enforces: npx portcullis check --config ${stack.config.file}`,
      'Policy changes (the config, an OpenAPI document) apply without a restart.',
    ]
  }
  const demo = `${stack.url}/demo/orders`
  return [
    'Try:',
    `  curl -s ${demo}`,
    `  TOKEN=$(npx portcullis token --sub alice --roles orders)`,
    `  curl -s -X POST ${demo} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"item":"tea","quantity":2}'`,
    `  curl -s -X POST ${demo} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"item":"tea","quantity":0}'`,
    `  curl -s ${stack.url}/demo/debug/leak`,
  ]
}
