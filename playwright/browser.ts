import type { LaunchOptions } from '@playwright/test'

/**
 * Debian's Chromium (never a downloaded browser). The flags keep it from calling Google's
 * services at start; without them the closed network refuses many connections.
 */
export function chromiumLaunchOptions (): LaunchOptions {
  return {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage'
    ]
  }
}
