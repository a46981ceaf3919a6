import { defineConfig } from 'vitest/config'

const onPrem = [
  'audit',
  'core',
  'config',
  'openapi',
  'topology',
  'bus',
  'runtime',
  'bridge',
  'validators',
  'backend',
  'demo',
  'cli',
  'deploy',
  'bench',
  'console',
]

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: [...onPrem.map((dir) => `${dir}/**/*.test.ts`), 'tests/*.test.ts'],
          testTimeout: 10_000,
          // Both cores: vitest's default leaves one idle on a two-core machine.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      './edge/vitest.config.ts',
      './token-services/access/vitest.config.ts',
      './token-services/bearer/vitest.config.ts',
      './token-services/testing/bindings/vitest.config.ts',
      {
        test: {
          name: 'integration',
          environment: 'node',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 180_000,
          // Two stacks at a time: a stack's start waits on processes more than it computes.
          maxWorkers: 2,
          sequence: { groupOrder: 3 },
        },
      },
      {
        test: {
          name: 'ha',
          environment: 'node',
          include: ['tests/ha/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 4 },
        },
      },
    ],
  },
})
