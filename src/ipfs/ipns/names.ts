/**
 * IPNS names: parsing every form a user may type, and showing a key's name as `k51…` and `bafz…`.
 */
import { publicKeyFromMultihash } from '@libp2p/crypto/keys'
import { base32 } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { InvalidNameError } from './errors.js'
import type { PublicKey } from '@libp2p/interface'
import type { MultihashDigest } from 'multiformats/hashes/interface'

/** Multicodec of a libp2p public key CID. */
export const LIBP2P_KEY_CODEC = 0x72
const IDENTITY = 0x00
const SHA2_256 = 0x12

/** A parsed IPNS name. */
export interface IPNSName {
  /** The multihash of the public key (identity for Ed25519/secp256k1, sha2-256 for RSA). */
  multihash: MultihashDigest
  /** CIDv1 libp2p-key, base36: `k51…`. The form shown to users and sent to routers. */
  k51: string
  /** CIDv1 libp2p-key, base32: `bafz…`. */
  bafz: string
  /** `/ipns/` + the multihash, the key routers and the DHT index records by. */
  routingKey: Uint8Array
}

/** The result of parsing `/ipns/<name>[/path]`, a bare name, or a DNSLink domain. */
export type ParsedIPNSPath =
  | { kind: 'key', name: IPNSName, path: string }
  | { kind: 'dnslink', domain: string, path: string }

export function nameFromMultihash (multihash: MultihashDigest): IPNSName {
  if (multihash.code !== IDENTITY && multihash.code !== SHA2_256) {
    throw new InvalidNameError(`An IPNS name must hash its public key with identity or sha2-256, not multihash code 0x${multihash.code.toString(16)}. Check that the name was copied whole.`)
  }
  const cid = CID.createV1(LIBP2P_KEY_CODEC, multihash)
  const prefix = new TextEncoder().encode('/ipns/')
  const routingKey = new Uint8Array(prefix.length + multihash.bytes.length)
  routingKey.set(prefix, 0)
  routingKey.set(multihash.bytes, prefix.length)
  return { multihash, k51: cid.toString(base36), bafz: cid.toString(base32), routingKey }
}

export function nameFromPublicKey (publicKey: PublicKey): IPNSName {
  return nameFromMultihash(publicKey.toMultihash())
}

/**
 * Parses a bare IPNS name: a libp2p-key CID in base36 (`k51…`) or base32 (`bafz…`), or a peer id
 * in its legacy base58 multihash form (`12D3Koo…`, `Qm…`).
 */
export function parseName (text: string): IPNSName {
  const s = text.trim()
  if (s === '') throw new InvalidNameError('The IPNS name is empty. Give a name such as k51… or bafz….')
  let multihash: MultihashDigest
  try {
    if (s.startsWith('1') || s.startsWith('Q')) {
      multihash = Digest.decode(base58btc.baseDecode(s))
    } else {
      const cid = s.startsWith('k') ? CID.parse(s, base36) : CID.parse(s)
      if (cid.code !== LIBP2P_KEY_CODEC) {
        throw new InvalidNameError(`"${s}" is a CID, but not of a public key (codec 0x${cid.code.toString(16)}, expected libp2p-key 0x72). An IPNS name is a key's CID, e.g. k51….`)
      }
      multihash = cid.multihash
    }
  } catch (err) {
    if (err instanceof InvalidNameError) throw err
    throw new InvalidNameError(`"${s}" is not an IPNS name. Give a key's name as k51…, bafz…, 12D3Koo… or Qm….`, { cause: err })
  }
  return nameFromMultihash(multihash)
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}\.?$/i

/**
 * Parses `/ipns/<name>[/path]`, `ipns://<name>[/path]` or a bare `<name>[/path]`. A first segment
 * that is not a key but a domain (it has a dot) is a DNSLink name.
 */
export function parseIPNSPath (text: string): ParsedIPNSPath {
  let s = text.trim()
  if (s.startsWith('ipns://')) s = s.slice('ipns://'.length)
  else if (s.startsWith('/ipns/')) s = s.slice('/ipns/'.length)
  else if (s.startsWith('/')) {
    throw new InvalidNameError(`"${text}" is not an IPNS path. Give /ipns/<name>[/path], a k51…/bafz… name, or a DNSLink domain.`)
  }
  const slash = s.indexOf('/')
  const first = slash === -1 ? s : s.slice(0, slash)
  const path = slash === -1 ? '' : s.slice(slash)
  if (first.includes('.')) {
    if (!DOMAIN.test(first)) {
      throw new InvalidNameError(`"${first}" is neither an IPNS key name nor a valid domain name for DNSLink.`)
    }
    return { kind: 'dnslink', domain: first.replace(/\.$/, '').toLowerCase(), path }
  }
  return { kind: 'key', name: parseName(first), path }
}

/** The public key inlined in a name (Ed25519, secp256k1), or undefined for hashed (RSA) names. */
export function publicKeyFromName (name: IPNSName): PublicKey | undefined {
  if (name.multihash.code !== IDENTITY) return undefined
  try {
    return publicKeyFromMultihash(name.multihash as MultihashDigest<0x00>)
  } catch (err) {
    throw new InvalidNameError(`The name ${name.k51} inlines bytes that are not a libp2p public key. Check that the name was copied whole.`, { cause: err })
  }
}
