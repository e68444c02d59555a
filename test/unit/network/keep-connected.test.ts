import { describe, expect, it } from 'vitest'
import { backoffDelay } from '../../../src/ipfs/keep-connected.js'

describe('redial backoff', () => {
  it('doubles from the minimum up to the cap, within ±25% jitter', () => {
    const low = (): number => 0
    const high = (): number => 0.999999
    expect([1, 2, 3, 4, 5, 6].map(n => backoffDelay(n, 1000, 15_000, low))).toEqual([750, 1500, 3000, 6000, 11250, 11250])
    expect([1, 2, 3, 4, 5, 6].map(n => backoffDelay(n, 1000, 15_000, high))).toEqual([1250, 2500, 5000, 10000, 18750, 18750])
    // never below the jittered minimum, even for a first attempt counted as 0
    expect(backoffDelay(0, 1000, 15_000, low)).toBe(750)
  })
})
