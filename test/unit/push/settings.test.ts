/** Pinning services in Settings: defaults, validation, and the local profile from cairn-local.json. */
import { describe, expect, it } from 'vitest'
import { EMPTY_SETTINGS, LOCAL_PINNING_SERVICE_NAME, PUBLIC_SETTINGS, localPinningService, localSettings, validateSettings } from '../../../src/core/settings.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import type { LocalNetworkInfo } from '../../../src/core/settings.js'

describe('pinning services in Settings', () => {
  it('are empty by default in both profiles', () => {
    expect(EMPTY_SETTINGS.pinningServices).toEqual([])
    expect(PUBLIC_SETTINGS.pinningServices).toEqual([])
  })

  it('come into the local profile from the local network, with its token', async () => {
    const net = await startLocalNetwork({ pinningToken: 'dev-token' })
    try {
      const info = await (await fetch(`${net.httpUrl}/cairn-local.json`)).json() as LocalNetworkInfo
      expect(info.pinningService).toEqual({ endpoint: `${net.httpUrl}/pinning`, token: 'dev-token' })
      const local = localSettings(info)
      expect(local.pinningServices).toEqual([{ name: LOCAL_PINNING_SERVICE_NAME, endpoint: `${net.httpUrl}/pinning`, token: 'dev-token' }])
      expect(validateSettings(local)).toEqual([])
    } finally {
      await net.stop()
    }
    // an older local network without the field
    const older: LocalNetworkInfo = { peerId: 'p', relayAddrs: [], routingUrl: 'http://127.0.0.1:1', gatewayUrl: 'http://127.0.0.1:1' }
    expect(localPinningService(older)).toBeUndefined()
    expect(localSettings(older).pinningServices).toEqual([])
  })

  it('are validated: a name (unique), an http(s) endpoint without credentials, a token', () => {
    const check = (pinningServices: Array<{ name: string, endpoint: string, token: string }>): string[] => validateSettings({ ...EMPTY_SETTINGS, pinningServices })
    expect(check([{ name: 'a', endpoint: 'https://pin.example/api', token: 't' }])).toEqual([])
    expect(check([{ name: '', endpoint: 'https://pin.example', token: 't' }])).toEqual(['the pinning service at "https://pin.example" has no name: give it one, e.g. the service\'s host'])
    expect(check([{ name: 'a', endpoint: 'https://x.example', token: 't' }, { name: 'a', endpoint: 'https://y.example', token: 't' }])).toEqual(['two pinning services are named "a": give each a different name'])
    expect(check([{ name: 'a', endpoint: 'pin.example', token: 't' }])[0]).toMatch(/pinning service "a": "pin.example" is not a URL/)
    expect(check([{ name: 'a', endpoint: 'ftp://pin.example', token: 't' }])[0]).toMatch(/must be an http\(s\) URL/)
    expect(check([{ name: 'a', endpoint: 'https://user:secret@pin.example', token: 't' }])[0]).toMatch(/put the access token in the token field/)
    expect(check([{ name: 'a', endpoint: 'https://pin.example', token: ' ' }])).toEqual(['pinning service "a" has no access token: paste the token the service gave you'])
  })
})
