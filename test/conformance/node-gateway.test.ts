/**
 * ipfs/gateway-conformance against the local network peer's trustless gateway. Every case either
 * passes, is not applicable (with its reason), or is a known failure listed with its reason in
 * known-failures.ts: a new failure fails this test, and so does a known failure that now passes.
 */
import { writeFile, mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { KNOWN_FAILURES } from './known-failures.js'
import { runNodeConformance } from './node-run.js'
import { formatReport } from './runner.js'

const OUT = fileURLToPath(new URL('../../test-results/conformance/', import.meta.url))

describe('gateway conformance: local network trustless gateway', () => {
  it('passes every applicable case but the known failures', async () => {
    const report = await runNodeConformance()
    await mkdir(OUT, { recursive: true })
    await writeFile(OUT + 'node.json', JSON.stringify(report, null, 2) + '\n')
    console.log(formatReport(report))
    const failed = report.results.filter(r => r.outcome === 'failed').map(r => `${r.goTest}: ${r.name}`)
    const known = Object.keys(KNOWN_FAILURES.node)
    expect(failed.filter(f => !known.includes(f)), 'new failures').toEqual([])
    expect(known.filter(k => !failed.includes(k)), 'known failures that now pass (remove them from known-failures.ts)').toEqual([])
    expect(report.applicable).toBeGreaterThan(40)
  })
})
