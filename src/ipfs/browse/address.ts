/**
 * Parse what a user pastes: `<cid>`, `<cid>/a/b`, `/ipfs/<cid>/a/b`, `ipfs://<cid>/a/b`, or a
 * gateway URL (`https://gw/ipfs/<cid>/a`, `https://<cid>.ipfs.gw/a`). Names (`/ipns/…`,
 * `ipns://…`, `https://gw/ipns/…`, `https://<name>.ipns.gw/…`) are recognised by `nameAddress`,
 * to be resolved first.
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

/**
 * The `/ipns/<name>/<path>` form of a name address (IPNS name or DNSLink domain), or undefined when
 * `input` is not one. The path stays percent-encoded as given.
 */
export function nameAddress (input: string): string | undefined {
  const text = input.trim()
  if (text.startsWith('/ipns/')) return text
  if (/^ipns:\/\//i.test(text)) return '/ipns/' + text.slice('ipns://'.length)
  if (/^https?:\/\//i.test(text)) {
    let url: URL
    try { url = new URL(text) } catch { return undefined }
    const sub = url.hostname.match(/^([a-z0-9-]+)\.ipns\./i)
    if (sub !== null) return `/ipns/${fromDnsLabel(sub[1]!)}${url.pathname === '/' ? '' : url.pathname}`
    if (url.pathname.startsWith('/ipns/')) return url.pathname
  }
  return undefined
}

/** A subdomain gateway inlines a DNSLink domain into one label: `-` stands for `.`, `--` for `-`. */
function fromDnsLabel (label: string): string {
  return label.split('--').map(part => part.replace(/-/g, '.')).join('-')
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
    throw new InvalidAddressError('That is an IPNS name: it must be resolved to an /ipfs/ path first (Files → Open does that).')
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
