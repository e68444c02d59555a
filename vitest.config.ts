import { defineConfig } from 'vitest/config'

// Unit and Node-side integration tests. Browser behaviour is tested with Playwright (playwright/).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./src/node/polyfill-node20.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default']
  }
})
