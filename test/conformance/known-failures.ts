/**
 * Cases that fail, per gateway, keyed `<Go test>: <case name>`, with why. The tests fail on any
 * other failure, and on a case listed here that passes. The README's conformance section lists
 * the same.
 */
import type { GatewayKind } from './types.js'

export const KNOWN_FAILURES: Record<GatewayKind, Record<string, string>> = {
  node: {},
  sw: {
    'TestGatewaySymlink: Test the symlink': 'verified-fetch answers a UnixFS symlink with an empty body; the spec wants its target ("foo") as the body',
    'TestTar: GET TAR with relative paths inside root works': 'Cairn refuses every entry name holding "/" or ".." (src/core/names.ts, see the threat model), even "../file" that stays inside the root once normalised; the spec allows it. Such a DAG downloads as a CAR.'
  }
}

/** Checks a run against KNOWN_FAILURES: new failures, and known ones that now pass. */
export function unexpected (gateway: GatewayKind, results: ReadonlyArray<{ goTest: string, name: string, outcome: string }>): { newFailures: string[], nowPassing: string[] } {
  const failed = results.filter(r => r.outcome === 'failed').map(r => `${r.goTest}: ${r.name}`)
  const known = Object.keys(KNOWN_FAILURES[gateway])
  const ran = new Set(results.filter(r => r.outcome !== 'not applicable').map(r => `${r.goTest}: ${r.name}`))
  return { newFailures: failed.filter(f => !known.includes(f)), nowPassing: known.filter(k => ran.has(k) && !failed.includes(k)) }
}
