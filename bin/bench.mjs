#!/usr/bin/env node
// `npm run bench`: runs every bench suite (bench/<name>/suite.ts) and writes JSON.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../bench/run.ts')
process.exitCode = await main(process.argv.slice(2))
