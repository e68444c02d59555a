import { describe, expect, it } from 'vitest'
import { nameAddress, parseAddress } from '../../../src/ipfs/browse/address.js'
import { InvalidAddressError } from '../../../src/ipfs/browse/errors.js'

const K51 = 'k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8'
const CID = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'

describe('addresses people paste', () => {
  it('recognises names in every form Files → Open takes, as /ipns/ paths to resolve', () => {
    expect(nameAddress(`ipns://${K51}`)).toBe(`/ipns/${K51}`)
    expect(nameAddress(`ipns://${K51}/docs/a.txt`)).toBe(`/ipns/${K51}/docs/a.txt`)
    expect(nameAddress(`  /ipns/example.org/a  `)).toBe('/ipns/example.org/a')
    expect(nameAddress(`http://127.0.0.1:8080/ipns/${K51}/x`)).toBe(`/ipns/${K51}/x`)
    expect(nameAddress(`https://${K51}.ipns.gw.test/x/y`)).toBe(`/ipns/${K51}/x/y`)
    // a DNSLink domain inlined in one label: '-' for '.', '--' for '-'
    expect(nameAddress('https://my--site-example-org.ipns.gw.test/')).toBe('/ipns/my-site.example.org')
  })

  it('leaves /ipfs/ addresses to parseAddress, which refuses names', () => {
    expect(nameAddress(`/ipfs/${CID}/a`)).toBeUndefined()
    expect(nameAddress(`ipfs://${CID}`)).toBeUndefined()
    expect(nameAddress(CID)).toBeUndefined()
    expect(parseAddress(`ipfs://${CID}/a%20b`)).toMatchObject({ path: 'a b' })
    expect(() => parseAddress(`ipns://${K51}`)).toThrow(InvalidAddressError)
  })
})
