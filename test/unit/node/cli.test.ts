import { describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { captureIO } from '../../helpers/cli-io.js'


describe('cairn CLI', () => {
  it('--help lists commands', async () => {
    const io = captureIO()
    expect(await main(['--help'], io)).toBe(0)
    expect(io.stdout).toContain('Usage: cairn <command>')
    expect(io.stdout).toMatch(/version\s+Print the cairn version/)
  })

  it('unknown command exits 2 with guidance', async () => {
    const io = captureIO()
    expect(await main(['frobnicate'], io)).toBe(2)
    expect(io.stderr).toContain('unknown command "frobnicate"')
    expect(io.stderr).toContain('cairn --help')
  })

  it('version prints the package version', async () => {
    const io = captureIO()
    expect(await main(['version'], io)).toBe(0)
    expect(io.stdout).toMatch(/^cairn \d+\.\d+\.\d+ \(node \d+/)
  })
})
