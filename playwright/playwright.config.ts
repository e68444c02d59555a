import { defineConfig } from '@playwright/test'
import { chromiumLaunchOptions } from './browser.js'

// End-to-end tests in Debian's Chromium against the built app (dist/), with a local network
// (relay, bitswap, routing, gateway) started in global setup. No test touches a non-loopback host.
export default defineConfig({
  testDir: './specs',
  globalSetup: './global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI !== undefined ? [['list']] : [['list']],
  outputDir: '../test-results',
  use: {
    browserName: 'chromium',
    launchOptions: chromiumLaunchOptions(),
    trace: 'retain-on-failure',
    serviceWorkers: 'allow'
  }
})
