/**
 * Parse what a user pastes: `<cid>`, `<cid>/a/b`, `/ipfs/<cid>/a/b`, `ipfs://<cid>/a/b`, or a
 * gateway URL (`https://gw/ipfs/<cid>/a`, `https://<cid>.ipfs.gw/a`).
 */
import { CID } from 'multiformats/cid'
import { InvalidAddressError } from './errors.js'

export interface IpfsAddress {
  cid: CID
  /** Path inside the DAG, without a leading slash; '' for the root. */
  path: string
}

function decodePath (parts: string[]): string {
  return parts.filter(p => p !== '').map(p => decodeURIComponent(p)).join('/')
}

export function parseAddress (input: string): IpfsAddress {
  const text = input.trim()
  if (text === '') throw new InvalidAddressError('Enter a CID or an IPFS path, e.g. bafy… or /ipfs/bafy…/file.txt.')
  let rest: string[]
  if (/^ipfs:\/\//i.test(text)) {
    rest = text.slice('ipfs://'.length).split('/')
  } else if (/^https?:\/\//i.test(text)) {
    const url = new URL(text)
    const sub = url.hostname.match(/^([a-z0-9]+)\.ipfs\./i)
    if (sub !== null) rest = [sub[1]!, ...url.pathname.split('/')]
    else if (url.pathname.startsWith('/ipfs/')) rest = url.pathname.slice('/ipfs/'.length).split('/')
    else throw new InvalidAddressError(`"${text}" is not an IPFS gateway URL: it needs /ipfs/<cid> in its path or <cid>.ipfs. in its host.`)
  } else if (text.startsWith('/ipfs/')) {
    rest = text.slice('/ipfs/'.length).split('/')
  } else if (text.startsWith('/ipns/') || /^ipns:\/\//i.test(text)) {
    throw new InvalidAddressError('That is an IPNS name. Resolve it on the Names page first, or open its /ipfs/ path.')
  } else {
    rest = text.split('/')
  }
  const [first, ...path] = rest
  try {
    return { cid: CID.parse(first ?? ''), path: decodePath(path) }
  } catch (err) {
    throw new InvalidAddressError(`"${first ?? ''}" is not a valid CID. A CID starts with Qm… (v0) or b… (v1, e.g. bafy…); check that it was copied whole.`, { cause: err })
  }
}
