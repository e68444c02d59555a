#!/usr/bin/env node
// The `cairn` CLI. It runs the TypeScript sources through tsx, so a checkout needs no build step.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/node/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
