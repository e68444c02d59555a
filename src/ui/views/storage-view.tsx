import { useEffect, useState } from 'preact/hooks'
import { useAction, useStore } from '../hooks.js'
import { ErrorBox } from '../components/error-box.js'
import { formatBytes } from '../format.js'
import { KeepPanel } from '../components/keep-panel.js'
import type { App } from '../../app/app.js'

export function StorageView ({ app }: { app: App }) {
  const status = useStore(app.storage)
  const persist = useAction(async () => {
    const granted = await app.persistStorage()
    if (!granted) throw new Error('The browser did not grant persistent storage. Installing Cairn as an app, or bookmarking it, makes the browser more likely to grant it.')
  })
  useEffect(() => { void app.refreshStorage() }, [app])

  if (status === undefined) return <p>Measuring storage…</p>
  if (!status.supported) return <p class="warning">This browser does not report storage use (the page may not be in a secure context).</p>
  const pct = status.quota > 0 ? (status.usage / status.quota) * 100 : 0
  return (
    <section aria-labelledby="storage-title">
      <h2 id="storage-title">Storage</h2>
      <p><span data-testid="storage-usage">{formatBytes(status.usage)}</span> used of <span data-testid="storage-quota">{formatBytes(status.quota)}</span> available to this site.</p>
      <progress max={100} value={pct} aria-label="Storage used" />
      {status.persisted
        ? <p class="ok" data-testid="persisted">Storage is persistent: the browser will not evict your blocks.</p>
        : (
          <div class="warning" role="alert" data-testid="not-persisted">
            <p><strong>Storage is not persistent.</strong> The browser may delete your blocks, pins and keys when space runs low. Pin important data to a remote service too.</p>
            <button type="button" onClick={() => { void persist.run() }} disabled={persist.busy}>Request persistent storage</button>
          </div>
          )}
      <ErrorBox message={persist.error} onClose={persist.clear} />
      <PinnedList app={app} />
    </section>
  )
}

/** Every pinned CID, each of which can be pushed to keepers and checked on. */
function PinnedList ({ app }: { app: App }) {
  const node = useStore(app.node.state)
  const [pins, setPins] = useState<Array<{ cid: string, name: string | undefined }> | undefined>(undefined)
  const [keeping, setKeeping] = useState<string | undefined>(undefined)
  const load = useAction(async () => { setPins(await app.files.pins()) })
  useEffect(() => { if (node.status === 'online') void load.run() }, [node.status])
  return (
    <div data-testid="pins">
      <div class="row wrap">
        <h3 class="grow">Pinned here</h3>
        <button type="button" class="secondary small" disabled={load.busy || node.status !== 'online'} onClick={() => { void load.run() }}>Refresh</button>
      </div>
      <p class="muted">Blocks pinned in this browser are kept until you unpin them, but the browser may still evict them. Push what matters to a keeper.</p>
      {pins !== undefined && pins.length === 0 && <p class="muted">Nothing is pinned.</p>}
      {pins !== undefined && pins.length > 0 && (
        <ul class="pins">
          {pins.map(p => (
            <li key={p.cid} data-cid={p.cid}>
              <div class="row wrap">
                <span class="grow">{p.name !== undefined && p.name !== '' ? <>{p.name} </> : null}<code>{p.cid}</code></span>
                <button type="button" class="secondary small" aria-expanded={keeping === p.cid} onClick={() => { setKeeping(keeping === p.cid ? undefined : p.cid) }}>Keep…</button>
              </div>
              {keeping === p.cid && <KeepPanel app={app} cid={p.cid} name={p.name ?? p.cid} />}
            </li>
          ))}
        </ul>
      )}
      <ErrorBox message={load.error} onClose={load.clear} />
    </div>
  )
}
