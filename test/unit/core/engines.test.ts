/**
 * `engines` in package.json is a promise to users: every package that is installed (runtime and
 * the tools `npm test` runs) must support every Node version it names. A package whose own
 * `engines` is narrower fails this test: pin a compatible version in `overrides`, or narrow the claim.
 */
import { readFileSync } from 'node:fs'
import semver from 'semver'
import { describe, expect, it } from 'vitest'

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }
const lock = JSON.parse(readFileSync(new URL('../../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { version?: string, engines?: { node?: string } | string[], optional?: boolean, peerDependencies?: Record<string, string>, peerDependenciesMeta?: Record<string, { optional?: boolean }> }>
}

describe('engines', () => {
  it('every installed package supports every Node version package.json claims', () => {
    const claim = pkg.engines.node
    expect(semver.validRange(claim)).not.toBeNull()
    expect(semver.satisfies('20.19.0', claim) && semver.satisfies('22.13.0', claim)).toBe(true)
    const narrower: string[] = []
    let checked = 0
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node
      if (path === '' || range === undefined) continue
      checked++
      if (semver.validRange(range) === null || !semver.subset(claim, range)) narrower.push(`${path}@${entry.version ?? '?'} needs node ${range}`)
    }
    expect(checked).toBeGreaterThan(50)
    expect(narrower).toEqual([])
  })

  it('the running Node is one of them', () => {
    expect(semver.satisfies(process.versions.node, pkg.engines.node)).toBe(true)
  })

  it('every peer dependency is installed, except react-native (.npmrc: legacy-peer-deps)', () => {
    const installed = (from: string, name: string): boolean => {
      let dir = from
      for (;;) {
        if (lock.packages[`${dir === '' ? '' : dir + '/'}node_modules/${name}`] !== undefined) return true
        if (dir === '') return false
        const i = dir.lastIndexOf('/node_modules/')
        dir = i < 0 ? '' : dir.slice(0, i)
      }
    }
    const missing: string[] = []
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const peer of Object.keys(entry.peerDependencies ?? {})) {
        if (entry.peerDependenciesMeta?.[peer]?.optional === true || installed(path, peer)) continue
        missing.push(`${path} → ${peer}`)
      }
    }
    expect(missing).toEqual(['node_modules/react-native-webrtc → react-native'])
  })
})
