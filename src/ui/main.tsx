/**
 * Page entry: paint the shell at once, then start the node (Helia is loaded lazily by the app).
 */
import { render } from 'preact'
import { createApp, dropLockedStreamCancels } from '../app/app.js'
import { Shell } from './shell.js'
import type { App } from '../app/app.js'
import './styles.css'

declare global {
  // The app facade, for the console and tests: `await cairn.blocks.put(new Uint8Array([1]))`.
  var cairn: App | undefined
}

dropLockedStreamCancels()

const params = new URLSearchParams(location.search)
// An ipns:// link launched through the protocol handler (the service worker opens ipfs:// links
// itself): resolve it on the Names page.
const open = params.get('open')
if (open !== null && /^(ipns:\/\/|\/ipns\/)/i.test(open)) {
  location.hash = `#/names/resolve/${encodeURIComponent(open.replace(/^ipns:\/\//i, '/ipns/'))}`
}
const profileParam = params.get('profile')
const app = createApp({
  localInfoUrl: new URL('./cairn-local.json', location.href),
  ...(profileParam === 'local' || profileParam === 'public' ? { profile: profileParam } : {})
})
globalThis.cairn = app

// Start before the first render: the settings request and the node's code go out at once.
app.start().catch((err: unknown) => { console.error('Cairn failed to start', err) })
const root = document.getElementById('app')
if (root !== null) {
  root.replaceChildren()
  render(<Shell app={app} />, root)
}
