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
  const demo = `${stack.url}/demo/orders`
  process.stdout.write(
    [
      '',
      `Portcullis is up. Ingress: ${stack.url}`,
      ...(stack.consoleUrl
        ? [`Console (its login token is in the link; keep it private): ${stack.consoleUrl}`]
        : []),
      '',
      'Try:',
      `  curl -s ${demo}`,
      `  TOKEN=$(npx portcullis token --sub alice --roles orders)`,
      `  curl -s -X POST ${demo} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"item":"tea","quantity":2}'`,
      `  curl -s -X POST ${demo} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"item":"tea","quantity":0}'`,
      `  curl -s ${stack.url}/demo/debug/leak`,
      '',
      `Every process, its pid and health: npx portcullis status${stack.stateFile ? ` (${stack.stateFile})` : ''}`,
      'A process that exits unasked is restarted. Ctrl-C stops everything.',
      '',
    ].join('\n'),
  )
  await done
  return 0
}
