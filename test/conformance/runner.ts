/**
 * Runs the case tables against one gateway through a transport (Node's fetch for the local network
 * peer, the page's fetch for the service worker) and reports passed / applicable per group.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { check } from './check.js'
import { openFixture, openRecord } from './fixtures.js'
import type { CaseContext, CaseRequest, CaseResult, Expectation, ConformanceCase, ConformanceReport, GatewayKind, GroupSummary, Transport } from './types.js'

export const context: CaseContext = { fx: openFixture, record: openRecord }

export interface RunOptions {
  /** A reason this case cannot be checked through this transport, or undefined. */
  skip?: (request: CaseRequest, expect: Expectation | Expectation[]) => string | undefined
}

export async function runCase (c: ConformanceCase, gateway: GatewayKind, transport: Transport, options: RunOptions = {}): Promise<CaseResult> {
  const base = { group: c.group, goTest: c.goTest, name: c.name }
  const na = c.only !== undefined && c.only !== gateway
    ? (gateway === 'node' ? 'the local network peer is a trustless gateway: it serves blocks, CARs and IPNS records only' : 'a trustless-gateway-only case')
    : c.notApplicable?.[gateway]
  if (na !== undefined) return { ...base, outcome: 'not applicable', reason: na }
  try {
    const request = await c.request(context)
    const expect = await c.expect(context)
    const skipped = options.skip?.(request, expect)
    if (skipped !== undefined) return { ...base, outcome: 'not applicable', reason: skipped }
    const res = await transport(request)
    const problems = await check(res, expect)
    return problems.length === 0 ? { ...base, outcome: 'passed' } : { ...base, outcome: 'failed', reason: problems.join('; ') }
  } catch (err) {
    return { ...base, outcome: 'failed', reason: `error: ${(err as Error).message}` }
  }
}

export function summarize (gateway: GatewayKind, results: CaseResult[]): ConformanceReport {
  const groups = new Map<string, GroupSummary>()
  for (const r of results) {
    const g = groups.get(r.group) ?? { group: r.group, passed: 0, applicable: 0, notApplicable: 0 }
    if (r.outcome === 'not applicable') g.notApplicable++
    else g.applicable++
    if (r.outcome === 'passed') g.passed++
    groups.set(r.group, g)
  }
  const list = [...groups.values()]
  return {
    gateway,
    groups: list,
    passed: list.reduce((n, g) => n + g.passed, 0),
    applicable: list.reduce((n, g) => n + g.applicable, 0),
    results
  }
}

export async function runCases (cases: ConformanceCase[], gateway: GatewayKind, transport: Transport, options: RunOptions = {}): Promise<ConformanceReport> {
  const results: CaseResult[] = []
  for (const c of cases) results.push(await runCase(c, gateway, transport, options))
  return summarize(gateway, results)
}

/** A plain-text table of a report, for logs. */
export function formatReport (report: ConformanceReport): string {
  const lines = [`${report.gateway}: ${report.passed} / ${report.applicable} applicable cases passed`]
  for (const g of report.groups) lines.push(`  ${g.group}: ${g.passed} / ${g.applicable}${g.notApplicable > 0 ? ` (${g.notApplicable} not applicable)` : ''}`)
  for (const r of report.results) {
    if (r.outcome === 'failed') lines.push(`  FAIL [${r.group}] ${r.goTest}: ${r.name}: ${r.reason ?? ''}`)
  }
  return lines.join('\n')
}

/** Where the runs leave their reports (`node.json`, `sw-node.json`, `sw-chromium.json`), for `npm run bench`. */
export const RESULTS_DIR = fileURLToPath(new URL('../../bench-results/conformance/', import.meta.url))

export async function saveReport (name: string, report: ConformanceReport): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true })
  await writeFile(RESULTS_DIR + name, JSON.stringify(report, null, 2) + '\n')
}
