import { useEffect, useState } from 'preact/hooks'
import { useAction, useStore } from '../hooks.js'
import { useTask } from '../use-task.js'
import { CancelledNote, ErrorBox } from '../components/error-box.js'
import { ProgressBar } from '../components/progress-bar.js'
import { Preview } from '../components/preview.js'
import { KeepPanel } from '../components/keep-panel.js'
import { formatBytes } from '../format.js'
import { copyText, fromDataTransfer, fromFileList } from '../../app/app.js'
import type { App, BrowseEntry, PickedEntry, ShareLinks } from '../../app/app.js'

const PROFILES = ['unixfs-v0-2015', 'unixfs-v1-2025']

interface Location { root: string, name: string, path: string[], cids: string[] }

export function FilesView ({ app }: { app: App }) {
  const rows = useStore(app.files.library)
  const node = useStore(app.node.state)
  const settings = useStore(app.settings)
  const task = useTask()
  const [profile, setProfile] = useState(settings?.addProfile ?? PROFILES[0]!)
  const [dragging, setDragging] = useState(false)
  const [address, setAddress] = useState('')
  const [loc, setLoc] = useState<Location | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [keeping, setKeeping] = useState<string | undefined>(undefined)
  const online = node.status === 'online'

  useEffect(() => { if (settings?.addProfile !== undefined) setProfile(settings.addProfile) }, [settings?.addProfile])
  useEffect(() => { if (online) void app.files.refreshLibrary() }, [online])

  const add = async (entries: PickedEntry[]): Promise<void> => {
    setNotice(undefined)
    const roots = await task.run(async (o) => app.files.add(entries, { profile, ...o }), 'Cancelled. Nothing was pinned; unpinned blocks are removed by the next garbage collection.')
    if (roots !== undefined) setNotice(`Added and pinned: ${roots.map(r => `${r.name === '' ? r.cid : r.name} → ${r.cid}`).join(', ')}`)
  }

  const open = async (addr: string): Promise<void> => {
    setNotice(undefined)
    const e = await task.run(async (o) => app.files.stat(addr, o))
    if (e === undefined) return
    const parts = e.path === '' ? [] : e.path.split('/')
    if (e.type === 'directory') setLoc({ root: e.root, name: e.root, path: parts, cids: [e.root, ...parts.map(() => e.cid)] })
    else setLoc({ root: e.root, name: e.name, path: parts, cids: [e.cid] })
  }

  return (
    <section aria-labelledby="files-title">
      <h2 id="files-title">Files</h2>

      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => { e.preventDefault(); setDragging(true) }}
        onDragLeave={() => { setDragging(false) }}
        onDrop={(e) => {
          e.preventDefault(); setDragging(false)
          if (e.dataTransfer !== null) void fromDataTransfer(e.dataTransfer).then(add)
        }}
      >
        <p>Drop files or folders here, or</p>
        <div class="row wrap">
          <label class="button">Add files<input type="file" multiple hidden data-testid="add-files" disabled={!online || task.busy} onChange={(e) => { const t = e.target as HTMLInputElement; if (t.files !== null) void add(fromFileList(t.files)); t.value = '' }} /></label>
          <label class="button">Add a folder<input type="file" hidden data-testid="add-folder" {...{ webkitdirectory: true }} disabled={!online || task.busy} onChange={(e) => { const t = e.target as HTMLInputElement; if (t.files !== null) void add(fromFileList(t.files)); t.value = '' }} /></label>
          <label class="button secondary">Import a CAR<input type="file" accept=".car,application/vnd.ipld.car" hidden data-testid="import-car" disabled={!online || task.busy} onChange={(e) => {
            const t = e.target as HTMLInputElement
            const f = t.files?.[0]
            t.value = ''
            if (f !== undefined) setNotice(undefined)
            if (f !== undefined) void task.run(async (o) => app.files.importCar(f, o)).then(r => { if (r !== undefined) setNotice(`Imported ${r.blocks} verified blocks (${formatBytes(r.bytes)}); pinned ${r.roots.join(', ')}`) })
          }} /></label>
          <label>CID profile{' '}
            <select value={profile} onChange={(e) => { setProfile((e.target as HTMLSelectElement).value) }} data-testid="profile">
              {PROFILES.map(p => <option key={p} value={p}>{p}</option>)}
            </select>
          </label>
        </div>
      </div>
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      <ErrorBox message={task.error} onClose={task.clearError} />
      <CancelledNote message={task.cancelled} />
      {notice !== undefined && <p class="ok" role="status" data-testid="notice">{notice}</p>}

      <form class="row" onSubmit={(e) => { e.preventDefault(); void open(address) }}>
        <label class="grow"><span class="sr-only">CID or path</span>
          <input name="address" value={address} placeholder="Open a CID or path: bafy…, /ipfs/bafy…/a/b, ipfs://bafy…, ipns://k51…" onInput={(e) => { setAddress((e.target as HTMLInputElement).value) }} spellcheck={false} autocomplete="off" />
        </label>
        <button type="submit" disabled={!online || task.busy || address.trim() === ''}>Open</button>
      </form>

      {loc !== undefined && <Browser app={app} loc={loc} setLoc={setLoc} publicGateway={settings?.profiles[settings.profile].publicGateway ?? ''} onClose={() => { setLoc(undefined) }} />}

      <h3>Library</h3>
      {rows.length === 0
        ? <p class="muted">Nothing added yet.</p>
        : (
          <table data-testid="library">
            <thead><tr><th>Name</th><th>Size</th><th>CID</th><th>Pinned</th><th /></tr></thead>
            <tbody>
              {rows.map(r => [
                <tr key={r.cid} data-cid={r.cid}>
                  <td>{r.type === 'directory' && <FolderIcon />}{r.name}</td>
                  <td class="nowrap">{r.type === 'directory' ? '—' : formatBytes(r.size)}</td>
                  <td><code title={r.cid}>{r.cid.slice(0, 10)}…{r.cid.slice(-6)}</code></td>
                  <td>{r.pinned ? 'yes' : 'no'}</td>
                  <td class="row wrap actions">
                    <button type="button" class="secondary" onClick={() => { setLoc({ root: r.cid, name: r.name, path: [], cids: [r.cid] }) }}>Open</button>
                    <PinToggle app={app} cid={r.cid} name={r.name} pinned={r.pinned} />
                    <button type="button" class="secondary" aria-expanded={keeping === r.cid} data-testid="keep-toggle" onClick={() => { setKeeping(keeping === r.cid ? undefined : r.cid) }}>Keep…</button>
                  </td>
                </tr>,
                keeping === r.cid && (
                  <tr key={`${r.cid}:keep`} class="keep-row" data-keep-for={r.cid}>
                    <td colSpan={5}><KeepPanel app={app} cid={r.cid} name={r.name} /></td>
                  </tr>
                )
              ])}
            </tbody>
          </table>
          )}
      <PinsPanel app={app} />
    </section>
  )
}

/** A folder mark drawn in CSS-free SVG: an emoji needs a font many systems lack. */
function FolderIcon () {
  return <svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M1.5 3.5h5l1.5 1.5h6.5v8h-13z" fill="currentColor" opacity=".75" /></svg>
}

function PinToggle ({ app, cid, name, pinned }: { app: App, cid: string, name: string, pinned: boolean }) {
  const act = useAction(async () => { if (pinned) await app.files.unpin(cid); else await app.files.pin(cid, name) })
  return (
    <>
      <button type="button" class="secondary" disabled={act.busy} onClick={() => { void act.run() }}>{pinned ? 'Unpin' : 'Pin'}</button>
      {act.error !== undefined && <ErrorBox message={act.error} onClose={act.clear} />}
    </>
  )
}

function PinsPanel ({ app }: { app: App }) {
  const [freed, setFreed] = useState<string | undefined>(undefined)
  const gc = useAction(async () => {
    const r = await app.files.gc()
    setFreed(`Garbage collection removed ${r.blocks} unpinned ${r.blocks === 1 ? 'block' : 'blocks'} and freed ${formatBytes(r.bytes)}.`)
  })
  return (
    <div class="row wrap">
      <button type="button" class="secondary" onClick={() => { void gc.run() }} disabled={gc.busy} data-testid="gc">{gc.busy ? 'Collecting…' : 'Collect garbage'}</button>
      {freed !== undefined && <span role="status" data-testid="gc-result">{freed}</span>}
      <ErrorBox message={gc.error} onClose={gc.clear} />
    </div>
  )
}

function Browser ({ app, loc, setLoc, publicGateway, onClose }: { app: App, loc: Location, setLoc: (l: Location) => void, publicGateway: string, onClose: () => void }) {
  const here = loc.cids[loc.cids.length - 1]!
  const [entries, setEntries] = useState<BrowseEntry[] | undefined>(undefined)
  const [file, setFile] = useState<BrowseEntry | undefined>(undefined)
  const [share, setShare] = useState<ShareLinks | undefined>(undefined)
  const [keep, setKeep] = useState(false)
  const task = useTask()
  const name = loc.path.length === 0 ? loc.name : loc.path[loc.path.length - 1]!

  useEffect(() => {
    setEntries(undefined); setFile(undefined); setShare(undefined)
    void task.run(async (o) => {
      const e = await app.files.stat(here, o)
      if (e.type === 'directory') setEntries(await app.files.list(here, { signal: o.signal }))
      else setFile({ ...e, name })
    })
  }, [here])

  const goto = (depth: number): void => { setLoc({ ...loc, path: loc.path.slice(0, depth), cids: loc.cids.slice(0, depth + 1) }) }

  return (
    <div class="browser card" data-testid="browser">
      <div class="row">
        <nav class="crumbs grow" aria-label="Path">
          <button type="button" class="link" data-testid="crumb-root" onClick={() => { goto(0) }}>{loc.name}</button>
          {loc.path.map((p, i) => (i === 0 && loc.path.length === 1 && p === loc.name) ? null : <span key={i}> / <button type="button" class="link" onClick={() => { goto(i + 1) }}>{p}</button></span>)}
        </nav>
        <button type="button" class="link" onClick={onClose} aria-label="Close">×</button>
      </div>
      <p><code data-testid="browser-cid">{here}</code></p>
      <div class="row wrap">
        {entries !== undefined && <>
          <button type="button" class="secondary" onClick={() => { void task.run(async (o) => app.files.downloadArchive(here, name, 'tar', o)) }}>Download .tar</button>
          <button type="button" class="secondary" onClick={() => { void task.run(async (o) => app.files.downloadArchive(here, name, 'zip', o)) }}>Download .zip</button>
        </>}
        {file !== undefined && <button type="button" onClick={() => { void task.run(async (o) => app.files.download(here, name, o)) }} data-testid="download">Download</button>}
        <button type="button" class="secondary" onClick={() => { void task.run(async (o) => app.files.downloadCar(here, name, o)) }}>Download .car</button>
        <button type="button" class="secondary" onClick={() => { void task.run(async () => { await app.files.pin(here, name) }) }} data-testid="pin-here">Pin</button>
        <button type="button" class="secondary" onClick={() => { void app.files.share(here, publicGateway).then(setShare) }}>Share</button>
        <button type="button" class="secondary" aria-expanded={keep} onClick={() => { setKeep(!keep) }}>Keep…</button>
      </div>
      {keep && <KeepPanel app={app} cid={here} name={name} />}
      {share !== undefined && (
        <ul class="share" data-testid="share">
          {[share.ipfsUrl, share.pathUrl, share.subdomainUrl].filter((u): u is string => u !== undefined).map(u => (
            <li key={u}><code>{u}</code> <button type="button" class="link" onClick={() => { void copyText(u) }}>Copy</button></li>
          ))}
        </ul>
      )}
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      <ErrorBox message={task.error} onClose={task.clearError} />
      <CancelledNote message={task.cancelled} />
      {entries !== undefined && (
        entries.length === 0
          ? <p class="muted">This folder is empty.</p>
          : (
            <table data-testid="entries">
              <thead><tr><th>Name</th><th>Size</th></tr></thead>
              <tbody>
                {entries.map(e => (
                  <tr key={e.name}>
                    <td><button type="button" class="link" onClick={() => { setLoc({ ...loc, path: [...loc.path, e.name], cids: [...loc.cids, e.cid] }) }}>{e.type === 'directory' && <FolderIcon />}{e.name}</button></td>
                    <td class="nowrap">{e.type === 'directory' ? '—' : formatBytes(e.size)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            )
      )}
      {file !== undefined && <Preview app={app} entry={file} />}
    </div>
  )
}
