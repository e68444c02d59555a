import { useEffect, useState } from 'preact/hooks'
import { useStore } from './hooks.js'
import { NodeView } from './views/node-view.js'
import { FilesView } from './views/files-view.js'
import { NamesView } from './views/names-view.js'
import { BackupsView } from './views/backups-view.js'
import { SettingsView } from './views/settings-view.js'
import { StorageView } from './views/storage-view.js'
import { shownStatus } from '../app/app.js'
import type { App } from '../app/app.js'
import type { JSX } from 'preact'

interface Route { path: string, label: string, view: (props: { app: App }) => JSX.Element }

const ROUTES: Route[] = [
  { path: 'files', label: 'Files', view: FilesView },
  { path: 'names', label: 'Names', view: NamesView },
  { path: 'backups', label: 'Backups', view: BackupsView },
  { path: 'node', label: 'Node', view: NodeView },
  { path: 'storage', label: 'Storage', view: StorageView },
  { path: 'settings', label: 'Settings', view: SettingsView }
]

function currentPath (): string {
  const p = location.hash.replace(/^#\/?/, '').split('/')[0] ?? ''
  return ROUTES.some(r => r.path === p) ? p : 'files'
}

export function Shell ({ app }: { app: App }) {
  const [path, setPath] = useState(currentPath())
  const node = useStore(app.node.state)
  const storage = useStore(app.storage)
  const update = useStore(app.updateAvailable)
  useEffect(() => {
    const onHash = (): void => { setPath(currentPath()) }
    addEventListener('hashchange', onHash)
    return () => { removeEventListener('hashchange', onHash) }
  }, [])
  const route = ROUTES.find(r => r.path === path) ?? ROUTES[0]!
  const shown = shownStatus(node)
  const View = route.view
  return (
    <>
      <header class="top">
        <h1><img src="./favicon.svg" alt="" width={24} height={24} /> Cairn</h1>
        <nav aria-label="Main">
          {ROUTES.map(r => <a key={r.path} href={`#/${r.path}`} aria-current={r.path === path ? 'page' : undefined}>{r.label}</a>)}
        </nav>
        <span class={`status status-${shown}`} title={shown === 'offline' ? 'No connection to any peer: reconnecting' : 'Node status'} data-testid="node-status">{shown}{shown === 'online' ? ` · ${node.connections.length} ${node.connections.length === 1 ? 'peer' : 'peers'}` : ''}</span>
      </header>
      {update && (
        <p class="banner ok" role="status" data-testid="update-banner">A new version of Cairn is ready. <button type="button" onClick={() => { void app.applyUpdate() }}>Reload</button></p>
      )}
      {storage?.supported === true && !storage.persisted && path !== 'storage' && (
        <p class="banner warning" data-testid="persist-banner">Storage is not persistent, so the browser may evict your data. <a href="#/storage">Fix this</a></p>
      )}
      <main><View app={app} /></main>
    </>
  )
}
