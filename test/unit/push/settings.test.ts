/** Keepers in Settings: defaults, validation per kind, and the local profile from cairn-local.json. */
import { describe, expect, it } from 'vitest'
import { EMPTY_SETTINGS, LOCAL_KEEPER_NAMES, PUBLIC_SETTINGS, localKeepers, localSettings, validateSettings } from '../../../src/core/settings.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import type { KeeperSettings, LocalNetworkInfo } from '../../../src/core/settings.js'

describe('keepers in Settings', () => {
  it('are empty by default in both profiles', () => {
    expect(EMPTY_SETTINGS.keepers).toEqual([])
    expect(PUBLIC_SETTINGS.keepers).toEqual([])
  })

  it('come into the local profile from the local network: its pinning service, Kubo RPC and Cluster API, with their token', async () => {
    const net = await startLocalNetwork({ pinningToken: 'dev-token' })
    try {
      const info = await (await fetch(`${net.httpUrl}/cairn-local.json`)).json() as LocalNetworkInfo
      const local = localSettings(info)
      expect(local.keepers).toEqual([
        { kind: 'psa', name: LOCAL_KEEPER_NAMES.psa, endpoint: `${net.httpUrl}/pinning`, token: 'dev-token' },
        { kind: 'kubo', name: LOCAL_KEEPER_NAMES.kubo, endpoint: net.httpUrl, token: 'dev-token' },
        { kind: 'cluster', name: LOCAL_KEEPER_NAMES.cluster, endpoint: info.cluster?.endpoint, token: 'dev-token' }
      ])
      expect(info.cluster?.endpoint).toMatch(new RegExp(`^${net.httpUrl}/`))
      expect(validateSettings(local)).toEqual([])
    } finally {
      await net.stop()
    }
    // an older local network offers none, or only a pinning service; a malformed entry is left out
    const older: LocalNetworkInfo = { peerId: 'p', relayAddrs: [], routingUrl: 'http://127.0.0.1:1', gatewayUrl: 'http://127.0.0.1:1' }
    expect(localSettings(older).keepers).toEqual([])
    expect(localKeepers({ ...older, pinningService: { endpoint: 'http://127.0.0.1:1/pinning', token: 't' }, kuboRpc: { endpoint: 5 } as unknown as { endpoint: string, token: string } }))
      .toEqual([{ kind: 'psa', name: LOCAL_KEEPER_NAMES.psa, endpoint: 'http://127.0.0.1:1/pinning', token: 't' }])
  })

  const check = (...keepers: KeeperSettings[]): string[] => validateSettings({ ...EMPTY_SETTINGS, keepers })

  it('are validated: a unique name, an http(s) API base without credentials or query', () => {
    expect(check({ kind: 'kubo', name: 'a', endpoint: 'http://127.0.0.1:5001', token: '' })).toEqual([])
    expect(check({ kind: 'cluster', name: '', endpoint: 'http://127.0.0.1:9094', token: '' })).toEqual(['the IPFS Cluster at "http://127.0.0.1:9094" has no name: give it one, e.g. its host'])
    expect(check({ kind: 'kubo', name: 'a', endpoint: 'http://x', token: '' }, { kind: 'psa', name: 'a', endpoint: 'https://y.example', token: 't' }))
      .toEqual(['two keepers are named "a": give each a different name'])
    expect(check({ kind: 'kubo', name: 'a', endpoint: '127.0.0.1:5001', token: '' })).toEqual(['Kubo node "a": "127.0.0.1:5001" is not a URL: write the API base as http://127.0.0.1:5001'])
    expect(check({ kind: 'psa', name: 'a', endpoint: 'ftp://pin.example', token: 't' })).toEqual(['pinning service "a": "ftp://pin.example" must be an http(s) URL'])
    expect(check({ kind: 'cluster', name: 'a', endpoint: 'https://user:secret@cluster.example', token: '' })).toEqual(['IPFS Cluster "a": put the credentials in their own field, not in the URL'])
    expect(check({ kind: 'kubo', name: 'a', endpoint: 'http://127.0.0.1:5001/?token=x', token: '' })[0]).toMatch(/should have no \?query/)
    expect(check({ kind: 'weird', name: 'a', endpoint: 'http://x', token: '' } as unknown as KeeperSettings)[0]).toMatch(/unknown kind "weird"/)
  })

  it('ask each kind for the secrets it needs: Kubo and Cluster may go without, a pinning service may not', () => {
    expect(check({ kind: 'kubo', name: 'a', endpoint: 'http://127.0.0.1:5001', token: '' })).toEqual([])
    expect(check({ kind: 'cluster', name: 'a', endpoint: 'http://127.0.0.1:9094', token: 'user:pw' })).toEqual([])
    expect(check({ kind: 'psa', name: 'a', endpoint: 'https://pin.example', token: ' ' })).toEqual(['pinning service "a" has no access token: paste the token the service gave you'])
  })

  it('ask an S3 bucket for a bucket name, a key ID and a secret; the region is optional', () => {
    const s3: KeeperSettings = { kind: 's3', name: 'b', endpoint: 'https://s3.example', token: 'secret', bucket: 'my-bucket', accessKeyId: 'AKID' }
    expect(check(s3)).toEqual([])
    expect(check({ ...s3, region: 'us-east-1' })).toEqual([])
    expect(check({ ...s3, bucket: '', accessKeyId: ' ', token: '' })).toEqual([
      'S3 bucket "b" has no bucket: write the bucket\'s name',
      'S3 bucket "b" has no access key ID: paste the key ID the provider gave you',
      'S3 bucket "b" has no secret access key: paste the secret that goes with the key ID'
    ])
    expect(check({ ...s3, bucket: 'My_Bucket' })).toEqual(['S3 bucket "b": "My_Bucket" is not a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens'])
    expect(check({ ...s3, region: 'US East' })).toEqual(['S3 bucket "b": "US East" is not a region: write it as e.g. us-east-1, or leave it empty'])
  })
})
