/**
 * `portcullis <command>`: the operator's entry point. Each command is one file in
 * commands/; this file only dispatches.
 */
import { describeSetupError, SetupError } from '../core/index.js'

const COMMANDS: Record<string, { about: string; run: (args: string[]) => Promise<number> }> = {
  up: {
    about: 'start the whole local stack (nats-servers, stages, demo upstream, edge)',
    run: async (a) => (await import('./commands/up.js')).up(a),
  },
  init: {
    about: 'write a config for your API: --openapi <file> --upstream <url> [--host name]',
    run: async (a) => (await import('./commands/init.js')).init(a),
  },
  check: {
    about: 'validate config, documents and keys; print what each route enforces (--json)',
    run: async (a) => (await import('./commands/check.js')).check(a),
  },
  keys: {
    about: 'generate every key and credential into the git-ignored key folder',
    run: async (a) => (await import('./commands/keys.js')).keys(a),
  },
  token: {
    about: 'print a dev bearer token: --sub alice [--roles orders,admin] [--ttl 1h]',
    run: async (a) => (await import('./commands/token.js')).token(a),
  },
  status: {
    about: 'every process of the running stack: pid, ports, health, restarts (--json)',
    run: async (a) => (await import('./commands/status.js')).status(a),
  },
  topology: {
    about: 'show who may publish and subscribe what on each bus: --json, --markdown',
    run: async (a) => (await import('./commands/topology.js')).topology(a),
  },
  audit: {
    about: 'check the audit trail (verify) or read it (show --request <id>, --since ...)',
    run: async (a) => (await import('./commands/audit.js')).audit(a),
  },
  deploy: {
    about: 'check the workers for Cloudflare and print the deploy steps: --dry-run [--out dir]',
    run: async (a) => (await import('./commands/deploy.js')).deploy(a),
  },
  bench: {
    about: 'measure the request path and write bench/results/*.json',
    run: async (a) => (await import('../bench/index.js')).bench(a),
  },
}

function help(): void {
  process.stdout.write('usage: portcullis <command> [--config portcullis.config.json]\n\n')
  for (const [name, c] of Object.entries(COMMANDS))
    process.stdout.write(`  ${name.padEnd(9)} ${c.about}\n`)
}

const [name, ...args] = process.argv.slice(2)
const command = name && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
if (!command) {
  const asked = name !== undefined && name !== 'help' && name !== '--help'
  if (asked) process.stderr.write(`unknown command ${name}\n\n`)
  help()
  process.exit(asked ? 2 : 0)
}
try {
  process.exitCode = await command.run(args)
} catch (e) {
  if (e instanceof SetupError) {
    process.stderr.write(`portcullis: ${describeSetupError(e)}\n`)
    // Exit now: whatever a failed start left pending (a connection dialing) must not keep
    // the process alive. Bad arguments exit 2, as every command's own usage check does.
    process.exit(e.code === 'ARGUMENT_INVALID' ? 2 : 1)
  } else {
    throw e
  }
}
