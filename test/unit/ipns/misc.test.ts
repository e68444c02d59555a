import { describe, expect, it } from 'vitest'
import { CairnError, InvalidInputError } from '../../../src/core/errors.js'
import * as errors from '../../../src/ipfs/ipns/errors.js'
import { parseDuration } from '../../../src/ipfs/ipns/duration.js'
import { normaliseRecordValue } from '../../../src/ipfs/ipns/records.js'

describe('ipns errors', () => {
  it('every error class has its own code and its class name, and extends CairnError', () => {
    const classes = Object.values(errors).filter((v): v is typeof CairnError => typeof v === 'function' && v.prototype instanceof CairnError)
    expect(classes.length).toBeGreaterThanOrEqual(20)
    const codes = new Set<string>()
    for (const C of classes) {
      const e = new (C as unknown as new (m: string) => CairnError)('x')
      expect(e.name).toBe(C.name)
      expect(e.code).toBe(C.code)
      expect(C.code).toMatch(/^ERR_IPNS_/)
      codes.add(C.code)
    }
    // RecordInvalidError is the shared base of the verdicts; every other class has a distinct code
    expect(codes.size).toBe(classes.length)
  })
})

describe('parseDuration', () => {
  it('reads the CLI forms', () => {
    expect(parseDuration('48h')).toBe(48 * 3_600_000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('2d')).toBe(172_800_000)
    for (const bad of ['', '5', 'h', '5x', '1h 2m', '-5m']) expect(() => parseDuration(bad)).toThrow(InvalidInputError)
  })
})

describe('normaliseRecordValue', () => {
  it('turns CIDs into /ipfs/ paths and keeps paths', () => {
    const v1 = 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'
    expect(normaliseRecordValue(v1)).toBe(`/ipfs/${v1}`)
    expect(normaliseRecordValue(`${v1}/a/b`)).toBe(`/ipfs/${v1}/a/b`)
    expect(normaliseRecordValue(`ipfs://${v1}`)).toBe(`/ipfs/${v1}`)
    expect(normaliseRecordValue('QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3')).toMatch(/^\/ipfs\/bafybei/)
    expect(normaliseRecordValue('/ipns/k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w/x')).toBe('/ipns/k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w/x')
    for (const bad of ['hello', '/ipfs/', '/ipfs/notacid', '/etc/passwd']) expect(() => normaliseRecordValue(bad)).toThrow(InvalidInputError)
  })
})
