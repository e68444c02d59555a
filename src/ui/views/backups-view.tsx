import { useEffect, useState } from 'preact/hooks'
import { useAction, useStore } from '../hooks.js'
import { useTask } from '../use-task.js'
import { CancelledNote, ErrorBox } from '../components/error-box.js'
import { ProgressBar } from '../components/progress-bar.js'
import { KeptBy } from '../components/keep-panel.js'
import { CreateRepoForm } from './backup-create-form.js'
import { formatBytes } from '../format.js'
import { Snapshots } from './backups-snapshots.js'
import { Browser } from './backups-browser.js'
import { FindPanel } from './backups-find.js'
import { DiffPanel } from './backups-diff.js'
import { directoryPicker } from './backups-restore.js'
import { copyText, fromDataTransfer, fromDirectoryHandle, fromFileList } from '../../app/app.js'
import type { App, OpenRepoView, PickedEntry, PushStatus, PushTarget, RepoRow, SnapshotRow } from '../../app/app.js'

const CANCELLED = 'Cancelled. What was already uploaded is kept in the repository, and the next backup reuses it.'


export function BackupsView ({ app }: { app: App }) {
  const current = useStore(app.backups.current)
  const online = useStore(app.node.state).status === 'online'
  useEffect(() => { void app.backups.refresh() }, [app])
  return (
    <section aria-labelledby="backups-title">
      <h2 id="backups-title">Backups</h2>
      <p class="muted">Encrypted restic repositories stored on IPFS, each under its own IPNS name. Anyone with the name and the password can restore, in Cairn or with restic (<code>cairn restic export</code>).</p>
      {!online && <p class="banner warning">The IPFS node is not online yet; repositories open once it is.</p>}
      {current === undefined ? <Chooser app={app} /> : <RepoPanel app={app} repo={current} />}
    </section>
  )
}

function Chooser ({ app }: { app: App }) {
  const repos = useStore(app.backups.repos)
  const task = useTask()
  const [location, setLocation] = useState('')
  const [pw, setPw] = useState('')
  const [remember, setRemember] = useState(false)
  const rowAction = useAction(async (fn: () => Promise<void>) => { await fn() })
  // A listed repository whose password is not remembered asks for it in a password field, never prompt().
  const [asking, setAsking] = useState<string | undefined>(undefined)
  const [rowPw, setRowPw] = useState('')
  const openRow = (r: RepoRow, password: string | undefined): void => {
    setAsking(undefined); setRowPw('')
    void task.run(async (o) => app.backups.open(r.name ?? r.root ?? r.id, { ...o, password }))
  }

  return (
    <>
      {repos.length > 0 && (
        <table data-testid="repos">
          <thead><tr><th>Repository</th><th>Name</th><th /></tr></thead>
          <tbody>
            {repos.map((r: RepoRow) => (
              <tr key={r.id} data-repo={r.id}>
                <td>{r.label}{r.writable ? '' : <small class="muted"> (read-only here: no key for the name on this device or in the repository)</small>}</td>
                <td><code>{r.name ?? r.root}</code></td>
                <td class="actions">
                  {asking === r.id
                    ? (
                      <form class="row" data-testid="row-password" onSubmit={(e) => { e.preventDefault(); openRow(r, rowPw) }}>
                        <label>Password for {r.label} <input type="password" name="row-password" autocomplete="current-password" value={rowPw} onInput={(e) => { setRowPw((e.target as HTMLInputElement).value) }} autofocus /></label>
                        <button type="submit" disabled={task.busy || rowPw === ''}>Open</button>
                        <button type="button" class="secondary" onClick={() => { setAsking(undefined); setRowPw('') }}>Cancel</button>
                      </form>
                      )
                    : <button type="button" disabled={task.busy} onClick={() => { if (r.remembered) openRow(r, undefined); else { setAsking(r.id); setRowPw('') } }}>Open{r.remembered ? ' (remembered password)' : ''}</button>}
                  {r.remembered && <button type="button" class="secondary" onClick={() => { void rowAction.run(async () => app.backups.forgetPassword(r.id)) }}>Forget password</button>}
                  <button type="button" class="danger" onClick={() => { if (confirm(`Remove "${r.label}" from this device? The repository itself stays on IPFS.`)) void rowAction.run(async () => app.backups.removeRepo(r.id)) }}>Remove</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorBox message={rowAction.error} onClose={rowAction.clear} />

      <div class="row wrap top">
        <CreateRepoForm app={app} task={task} />

        <form class="card grow" data-testid="open-repo" onSubmit={(e) => { e.preventDefault(); void task.run(async (o) => app.backups.open(location, { ...o, password: pw, remember })).then(() => { setPw('') }) }}>
          <h3>Open a repository</h3>
          <label>IPNS name or root CID <input name="location" value={location} placeholder="k51… or ipns://… or bafy…" onInput={(e) => { setLocation((e.target as HTMLInputElement).value) }} /></label>
          <label>Password <input type="password" name="password" autocomplete="current-password" value={pw} onInput={(e) => { setPw((e.target as HTMLInputElement).value) }} /></label>
          <label><input type="checkbox" checked={remember} onChange={(e) => { setRemember((e.target as HTMLInputElement).checked) }} /> Remember on this device</label>
          <button type="submit" disabled={task.busy || location.trim() === ''}>Open</button>
        </form>
      </div>
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      <ErrorBox message={task.error} onClose={task.clearError} />
      <CancelledNote message={task.cancelled} />
    </>
  )
}

function RepoPanel ({ app, repo }: { app: App, repo: OpenRepoView }) {
  const [browsing, setBrowsing] = useState<{ snapshot: SnapshotRow, path: string[] } | undefined>(undefined)
  const close = useAction(async () => app.backups.close())
  return (
    <div data-testid="repo" data-name={repo.name ?? ''} data-root={repo.root ?? ''}>
      <div class="row wrap">
        <h3 class="grow">{repo.label}</h3>
        <button type="button" class="secondary" onClick={() => { void close.run() }}>Close</button>
      </div>
      <dl class="facts">
        {repo.name !== undefined && <><dt>Name</dt><dd><code data-testid="repo-name">{repo.name}</code> <button type="button" class="secondary small" onClick={() => { void copyText(repo.name ?? '') }}>Copy</button></dd></>}
        <dt>Root</dt><dd><code data-testid="repo-root">{repo.root ?? '–'}</code></dd>
        <dt>Access</dt><dd>{repo.writable ? 'This device holds the name\'s key: backups republish the name.' : 'Read-only here: this device holds no key for the name and the repository does not carry it yet. Back up once from the device that created it (that adds the key to the repository); then every device with the password can back up.'}</dd>
      </dl>
      <BackupForm app={app} />
      <Push app={app} repo={repo} />
      <Snapshots app={app} repo={repo} onBrowse={(snapshot) => { setBrowsing({ snapshot, path: [] }) }} />
      {browsing !== undefined && <Browser app={app} snapshot={browsing.snapshot} path={browsing.path} onNavigate={(path) => { setBrowsing({ ...browsing, path }) }} onClose={() => { setBrowsing(undefined) }} />}
      {repo.snapshots.length > 0 && <FindPanel app={app} repo={repo} onShow={(snapshot, path) => { setBrowsing({ snapshot, path }) }} />}
      <DiffPanel app={app} repo={repo} />
      <Maintenance app={app} />
      <ErrorBox message={close.error} onClose={close.clear} />
    </div>
  )
}

function BackupForm ({ app }: { app: App }) {
  const task = useTask(CANCELLED)
  const [picked, setPicked] = useState<PickedEntry[]>([])
  const [dragging, setDragging] = useState(false)
  const [host, setHost] = useState(() => localStorage.getItem('cairn:backup-host') ?? 'cairn-browser')
  const [tags, setTags] = useState('')
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const pickedBytes = picked.reduce((n, e) => n + (e.file?.size ?? 0), 0)
  const pickedFiles = picked.filter(e => e.file !== undefined).length
  const addPicked = (entries: PickedEntry[]): void => { setNotice(undefined); setPicked(prev => [...prev, ...entries]) }

  const run = async (): Promise<void> => {
    localStorage.setItem('cairn:backup-host', host)
    setNotice(undefined)
    const r = await task.run(async (o) => app.backups.backup(picked, { ...o, host, tags: tags.split(',') }))
    if (r === undefined) return
    setPicked([])
    const errors = r.errors.length > 0 ? ` ${r.errors.length} item(s) could not be read and were left out: ${r.errors.map(e => `${e.path} (${e.message})`).join('; ')}.` : ''
    const publish = r.published ? ' The name now points at the new root.' : r.publishError !== undefined ? ` Publishing the name failed: ${r.publishError}` : ''
    setNotice(`Snapshot ${r.snapshotId.slice(0, 8)} saved: ${r.filesNew} new, ${r.filesChanged} changed, ${r.filesUnmodified} unmodified files; ${formatBytes(r.bytesProcessed)} read, ${formatBytes(r.bytesAdded)} added${r.packsAdopted > 0 ? `, ${r.packsAdopted} pack(s) from an interrupted backup reused` : ''}.${publish}${errors}`)
  }

  return (
    <div class="card">
      <h3>Back up</h3>
      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        data-testid="backup-dropzone"
        onDragOver={(e) => { e.preventDefault(); setDragging(true) }}
        onDragLeave={() => { setDragging(false) }}
        onDrop={(e) => { e.preventDefault(); setDragging(false); if (e.dataTransfer !== null) void fromDataTransfer(e.dataTransfer).then(addPicked) }}
      >
        <p>Drop files or folders here, or</p>
        <div class="row wrap">
          <label class="button secondary">Choose files<input type="file" multiple hidden data-testid="backup-files" onChange={(e) => { const t = e.target as HTMLInputElement; if (t.files !== null) addPicked(fromFileList(t.files)); t.value = '' }} /></label>
          <label class="button secondary">Choose a folder<input type="file" hidden data-testid="backup-folder" {...{ webkitdirectory: true }} onChange={(e) => { const t = e.target as HTMLInputElement; if (t.files !== null) addPicked(fromFileList(t.files)); t.value = '' }} /></label>
          {directoryPicker() !== undefined && <button type="button" class="secondary" onClick={() => { void directoryPicker()?.({ mode: 'read' }).then(fromDirectoryHandle).then(addPicked).catch(() => {}) }}>Choose a folder (File System Access)</button>}
        </div>
        {picked.length > 0 && <p data-testid="backup-selection">{pickedFiles} files, {formatBytes(pickedBytes)} selected: {[...new Set(picked.map(p => p.path.split('/')[0]))].join(', ')} <button type="button" class="secondary small" onClick={() => { setPicked([]) }}>Clear</button></p>}
      </div>
      <div class="row wrap">
        <label>Host <input name="host" value={host} onInput={(e) => { setHost((e.target as HTMLInputElement).value) }} /></label>
        <label>Tags <input name="tags" value={tags} placeholder="comma-separated" onInput={(e) => { setTags((e.target as HTMLInputElement).value) }} /></label>
        <button type="button" data-testid="start-backup" disabled={task.busy || picked.length === 0} onClick={() => { void run() }}>Back up</button>
      </div>
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      <ErrorBox message={task.error} onClose={task.clearError} />
      <CancelledNote message={task.cancelled} />
      {notice !== undefined && <p class="ok" role="status" data-testid="backup-notice">{notice}</p>}
    </div>
  )
}

const KEEP = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const

function Maintenance ({ app }: { app: App }) {
  const task = useTask('Cancelled. Nothing was removed that a snapshot still needs.')
  const [keep, setKeep] = useState<Record<string, string>>({ last: '', hourly: '', daily: '7', weekly: '4', monthly: '12', yearly: '' })
  const [alsoPrune, setAlsoPrune] = useState(true)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  // A failed check is an error, never shown in the success styling of `notice`.
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const policy = Object.fromEntries(KEEP.filter(k => (keep[k] ?? '') !== '').map(k => [k, Number(keep[k])]))
  return (
    <details class="card" data-testid="maintenance">
      <summary>Forget, prune, check</summary>
      <form class="row wrap" onSubmit={(e) => {
        e.preventDefault()
        setNotice(undefined)
        setProblem(undefined)
        void task.run(async (o) => app.backups.forget(policy, { ...o, prune: alsoPrune })).then(r => {
          if (r !== undefined) setNotice(`Removed ${r.removed.length} snapshot(s), kept ${r.kept}.${r.prune !== undefined ? ` Pruned: ${r.prune.packsRemoved} pack(s) removed, ${r.prune.packsRepacked} repacked.` : ''}`)
        })
      }}>
        {KEEP.map(k => <label key={k}>Keep {k} <input type="number" min={0} name={`keep-${k}`} value={keep[k]} size={4} onInput={(e) => { setKeep({ ...keep, [k]: (e.target as HTMLInputElement).value }) }} /></label>)}
        <label><input type="checkbox" checked={alsoPrune} onChange={(e) => { setAlsoPrune((e.target as HTMLInputElement).checked) }} /> then prune</label>
        <button type="submit" class="danger" disabled={task.busy || Object.keys(policy).length === 0}>Forget</button>
      </form>
      <div class="row wrap">
        <button type="button" class="secondary" disabled={task.busy} onClick={() => { setNotice(undefined); setProblem(undefined); void task.run(async (o) => app.backups.prune(o)).then(r => { if (r !== undefined) setNotice(`Pruned: ${r.packsRemoved} pack(s) removed, ${r.packsRepacked} repacked, ${r.unreferencedRemoved} unreferenced removed.`) }) }}>Prune</button>
        <button type="button" class="secondary" disabled={task.busy} onClick={() => { setNotice(undefined); setProblem(undefined); void task.run(async (o) => app.backups.check({ ...o, readData: true })).then(r => { if (r === undefined) return; if (r.ok) setNotice('Check passed: every blob was read and verified.'); else setProblem(`Check found ${r.errors.length} problem(s); the repository is damaged. Restore what you need from an intact copy, then forget the affected snapshots and prune.\n${r.errors.join('\n')}`) }) }}>Check (read all data)</button>
        <button type="button" class="secondary" disabled={task.busy} onClick={() => { setNotice(undefined); setProblem(undefined); void task.run(async (o) => app.backups.unlock(o)).then(r => { if (r !== undefined) setNotice(r.length === 0 ? 'No stale locks.' : `Removed ${r.length} stale lock(s).`) }) }}>Remove stale locks</button>
      </div>
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      <ErrorBox message={task.error} onClose={task.clearError} />
      <CancelledNote message={task.cancelled} />
      <div data-testid="maintenance-problem" style="white-space: pre-wrap"><ErrorBox message={problem} onClose={() => { setProblem(undefined) }} /></div>
      {notice !== undefined && <p class="ok" role="status" data-testid="maintenance-notice" style="white-space: pre-wrap">{notice}</p>}
    </details>
  )
}

function Push ({ app, repo }: { app: App, repo: OpenRepoView }) {
  const [targets, setTargets] = useState<PushTarget[]>([])
  const [chosen, setChosen] = useState<Set<string>>(new Set())
  const [restUrl, setRestUrl] = useState('')
  const [statuses, setStatuses] = useState<PushStatus[]>([])
  const task = useTask('Cancelled. Targets that finished keep what they received.')
  const load = useAction(async () => {
    const t = await app.backups.pushTargets()
    setTargets(t)
    setChosen(prev => prev.size > 0 ? prev : new Set(t.map(x => x.id)))
  })
  useEffect(() => { void load.run() }, [repo.id, repo.root])
  const toggle = (id: string, on: boolean): void => { const next = new Set(chosen); if (on) next.add(id); else next.delete(id); setChosen(next) }
  const selected = (): PushTarget[] => {
    const out = targets.filter(t => chosen.has(t.id))
    if (restUrl.trim() !== '') out.push({ id: `rest:${restUrl.trim()}`, kind: 'rest', label: `restic REST server ${restUrl.trim()}` })
    return out
  }
  return (
    <div class="card" data-testid="push">
      <div class="row wrap">
        <h3 class="grow">Push, so the backup outlives this tab</h3>
        <button type="button" class="secondary small" onClick={() => { void load.run() }}>Refresh targets</button>
      </div>
      {targets.length === 0 && <p class="muted">No connected peer offers to pin, and no keeper is set up (Settings).</p>}
      {targets.map(t => (
        <label key={t.id} data-target={t.id}><input type="checkbox" checked={chosen.has(t.id)} onChange={(e) => { toggle(t.id, (e.target as HTMLInputElement).checked) }} /> {t.label}</label>
      ))}
      <label>restic REST server (optional) <input name="rest-url" value={restUrl} placeholder="http://host:8000/repo/" onInput={(e) => { setRestUrl((e.target as HTMLInputElement).value) }} /></label>
      <button type="button" data-testid="start-push" disabled={task.busy || repo.root === undefined || selected().length === 0} onClick={() => { void task.run(async (o) => app.backups.push(selected(), { signal: o.signal, onStatus: setStatuses })) }}>Push {repo.root !== undefined ? <code>{repo.root.slice(0, 12)}…</code> : null}</button>
      {task.busy && <button type="button" class="secondary" onClick={task.cancel}>Cancel</button>}
      {statuses.length > 0 && (
        <ul data-testid="push-status">
          {statuses.map(st => <li key={st.target.id} data-target={st.target.id} data-state={st.state}><strong>{st.target.label}</strong>: {st.state}{st.message !== '' ? ` — ${st.message}` : ''}</li>)}
        </ul>
      )}
      <ErrorBox message={load.error ?? task.error} onClose={() => { load.clear(); task.clearError() }} />
      <CancelledNote message={task.cancelled} />
      {repo.root !== undefined && <KeptBy app={app} cid={repo.root} />}
    </div>
  )
}
