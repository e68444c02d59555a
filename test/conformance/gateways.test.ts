/**
 * ipfs/gateway-conformance against both gateways, in Node: the local network peer's trustless
 * gateway over HTTP, and the service worker's content module (src/sw/content.ts, what sw.ts runs
 * for `./ipfs/…`) over a memory blockstore. playwright/specs/conformance.spec.ts runs the same
 * cases through the real worker in Chromium. Every case passes, is not applicable (with its
 * reason), or is a known failure listed with its reason in known-failures.ts; the reports are
 * written to bench-results/conformance/ for `npm run bench`.
 */
import { describe, expect, it } from 'vitest'
import { unexpected } from './known-failures.js'
import { runNodeConformance } from './node-run.js'
import { formatReport, saveReport } from './runner.js'
import { runSwNodeConformance } from './sw-node.js'
import type { ConformanceReport } from './types.js'

async function save (name: string, report: ConformanceReport): Promise<void> {
  await saveReport(name, report)
  console.log(formatReport(report))
}

describe('gateway conformance (ipfs/gateway-conformance cases)', () => {
  it('local network trustless gateway: every applicable case passes but the known failures', async () => {
    const report = await runNodeConformance()
    await save('node.json', report)
    expect(unexpected('node', report.results)).toEqual({ newFailures: [], nowPassing: [] })
    expect(report.groups.filter(g => g.group.startsWith('trustless')).every(g => g.applicable > 0)).toBe(true)
  })

  it('service worker content module: every applicable case passes but the known failures', async () => {
    const report = await runSwNodeConformance()
    await save('sw-node.json', report)
    expect(unexpected('sw', report.results)).toEqual({ newFailures: [], nowPassing: [] })
    expect(report.applicable).toBeGreaterThan(100)
  })
})
