/**
 * ipfs/gateway-conformance results, `passed / applicable` per group, for both gateways: the local
 * network peer's trustless gateway and the service worker's content module are run here (about
 * ten seconds, in Node); the run through the real worker in Chromium is read from the last
 * `playwright/specs/conformance.spec.ts` run (bench-results/conformance/sw-chromium.json), with
 * its date, or reported as not run.
 */
import { readFile, stat } from 'node:fs/promises'
import { runNodeConformance } from '../../test/conformance/node-run.js'
import { RESULTS_DIR, saveReport } from '../../test/conformance/runner.js'
import { runSwNodeConformance } from '../../test/conformance/sw-node.js'
import type { ConformanceReport } from '../../test/conformance/types.js'
import type { BenchSuite } from '../suite.js'

function summary (report: ConformanceReport): Record<string, unknown> {
  return {
    passed: report.passed,
    applicable: report.applicable,
    ratio: report.applicable === 0 ? null : Number((report.passed / report.applicable).toFixed(4)),
    groups: Object.fromEntries(report.groups.map(g => [g.group, `${g.passed}/${g.applicable}${g.notApplicable > 0 ? ` (+${g.notApplicable} n/a)` : ''}`])),
    failures: report.results.filter(r => r.outcome === 'failed').map(r => `${r.goTest}: ${r.name}: ${r.reason ?? ''}`)
  }
}

const suite: BenchSuite = {
  name: 'conformance',
  async run ({ log }) {
    log('  local network trustless gateway…')
    const node = await runNodeConformance()
    await saveReport('node.json', node)
    log('  service worker content module (Node)…')
    const swNode = await runSwNodeConformance()
    await saveReport('sw-node.json', swNode)
    let chromium: Record<string, unknown> = { notRun: 'run `npx playwright test -c playwright/playwright.config.ts playwright/specs/conformance.spec.ts` first' }
    const file = RESULTS_DIR + 'sw-chromium.json'
    try {
      const report = JSON.parse(await readFile(file, 'utf8')) as ConformanceReport
      chromium = { ...summary(report), ranAt: (await stat(file)).mtime.toISOString() }
    } catch { /* not run yet */ }
    return {
      source: 'ipfs/gateway-conformance 22c76440f8b5929bd14ff08bf79cb2f83669b629 (test/fixtures/gateway-conformance/README.md)',
      node: summary(node),
      swNode: summary(swNode),
      swChromium: chromium
    }
  }
}

export default suite
