// The house rules `npm test` enforces: which folder may import which (ROOMS, the same rules
// each folder's README states), and no promise left floating.
import tseslint from 'typescript-eslint'

/**
 * Each room (a top-level folder, or a folder inside one) and what its product code may import
 * from the rest of the repo. `types` are folders it may import types from only. `packages`,
 * where given, is the whole list of npm packages it may use (the workerd side); `node: false`
 * forbids `node:*`. A room's own files may always import each other.
 */
const ROOMS = {
  core: { folders: [], packages: ['@nats-io/nats-core', 'jose', 're2js'], node: false },
  edge: {
    folders: ['core'],
    packages: ['hono', '@nats-io/nats-core', 'jose', 're2js', 'cloudflare:workers'],
    node: false,
  },
  'token-services': {
    folders: ['core'],
    packages: ['hono', 'jose', 'cloudflare:workers'],
    node: false,
  },
  openapi: { folders: ['core'] },
  config: { folders: ['core', 'openapi'] },
  runtime: { folders: ['core', 'config'] },
  topology: { folders: ['core', 'config', 'runtime'] },
  bus: { folders: ['core', 'topology', 'runtime'], types: ['config'] },
  bridge: { folders: ['core', 'topology', 'bus', 'runtime'], types: ['config'] },
  validators: { folders: ['core', 'topology', 'bus', 'runtime'], types: ['config'] },
  backend: { folders: ['core', 'config', 'topology', 'bus', 'runtime', 'validators/lib'] },
  audit: { folders: ['core', 'topology', 'bus', 'runtime'], types: ['config'] },
  console: { folders: ['core', 'config', 'runtime', 'topology', 'audit/store', 'cli/state.js'] },
  demo: { folders: ['runtime'] },
}

/** Inner walls: a room inside a room that may not reach its siblings. */
const INNER_ROOMS = {
  'validators/lib': { forbidden: ['validators/request', 'validators/response'] },
  // The pure half of the topology never acts on disk or processes (topology/README.md).
  'topology/description': { forbidden: ['topology/actions', 'runtime'] },
  'audit/mirrors': { forbidden: ['audit/sink', 'audit/store'] },
  'edge/ingress': { forbidden: ['edge/testing'] },
  'edge/link': { forbidden: ['edge/testing'] },
  'edge/quota': { forbidden: ['edge/testing'] },
  'token-services/access': { forbidden: ['token-services/testing', 'token-services/bearer'] },
  'token-services/bearer': { forbidden: ['token-services/testing', 'token-services/access'] },
  'token-services/shared': { forbidden: ['token-services/testing'] },
}

const MAX_DEPTH = 6
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** `../` repeated `n` times, as a regex. */
const up = (n) => `(?:\\.\\./){${n}}`

/**
 * From a file `depth` folders deep, an import climbing `depth` times lands at the repo root:
 * the next segment names the room it reaches. Climbing further leaves the repo.
 */
function roomPatterns(allowed, depth, message) {
  const keep = allowed.map((f) => `${escape(f)}(?:/|$)`).join('|')
  return [
    {
      regex: `^${up(depth)}(?!${keep || '$^'})[^./]`,
      message,
    },
    { regex: `^${up(depth + 1)}`, message: 'imports outside the repository are not allowed' },
  ]
}

function packagePatterns(room) {
  const patterns = []
  if (room.node === false)
    patterns.push({ regex: '^node:', message: 'runs in workerd: no node:* modules' })
  if (room.packages) {
    const keep = room.packages.map((p) => `${escape(p)}(?:/|$)`).join('|')
    patterns.push({
      regex: `^(?!\\.|node:|${keep})`,
      message: `may use only ${room.packages.join(', ')}`,
    })
  }
  return patterns
}

const PRODUCT_CODE_ONLY = ['**/*.test.ts', '**/testing/**', '**/vitest.config.ts', '**/*.d.ts']

function roomBlocks() {
  const blocks = []
  for (const [name, room] of Object.entries(ROOMS)) {
    const base = name.split('/').length
    for (let extra = 0; extra < MAX_DEPTH; extra++) {
      const depth = base + extra
      const files = [`${name}/${'*/'.repeat(extra)}*.ts`]
      const message = `${name}/ may import ${[...room.folders, ...(room.types ?? []).map((t) => `${t} (types)`)].join(', ') || 'nothing outside itself'} (see ${name}/README.md)`
      const typeOnly = (room.types ?? []).map((t) => ({
        regex: `^${up(depth)}${escape(t)}(?:/|$)`,
        allowTypeImports: true,
        message: `${name}/ may import only types from ${t}/`,
      }))
      blocks.push({
        files,
        ignores: PRODUCT_CODE_ONLY,
        rules: {
          '@typescript-eslint/no-restricted-imports': [
            'error',
            {
              patterns: [
                ...roomPatterns([...room.folders, ...(room.types ?? [])], depth, message),
                ...typeOnly,
                ...packagePatterns(room),
              ],
            },
          ],
        },
      })
    }
  }
  return blocks
}

/** Inner walls are checked on top of the room's own rule (a rule of their own name). */
function innerBlocks() {
  const blocks = []
  for (const [name, inner] of Object.entries(INNER_ROOMS)) {
    const top = name.split('/')[0]
    const base = name.split('/').length
    for (let extra = 0; extra < MAX_DEPTH; extra++) {
      const depth = base + extra
      blocks.push({
        files: [`${name}/${'*/'.repeat(extra)}*.ts`],
        ignores: PRODUCT_CODE_ONLY,
        rules: {
          'no-restricted-imports': [
            'error',
            {
              patterns: inner.forbidden.map((f) => {
                // A sibling inside the same top folder is reached one climb short of the root.
                const fromRoot = `^${up(depth)}${escape(f)}(?:/|$)`
                const sibling = f.startsWith(`${top}/`)
                  ? `^${up(depth - 1)}${escape(f.slice(top.length + 1))}(?:/|$)|`
                  : ''
                return {
                  regex: `${sibling}${fromRoot}`,
                  message: `${name}/ never imports ${f}/`,
                }
              }),
            },
          ],
        },
      })
    }
  }
  return blocks
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.portcullis/**',
      '**/*.js',
      '**/*.mjs',
      'bench/results/**',
      'openapi/fixtures/**',
      '**/worker-configuration.d.ts',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        project: [
          './tsconfig.json',
          './edge/tsconfig.json',
          './edge/tsconfig.node.json',
          './token-services/tsconfig.json',
          './token-services/tsconfig.node.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  ...roomBlocks(),
  ...innerBlocks(),
)
