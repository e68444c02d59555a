/**
 * Browsing a snapshot: folders to open, files to download, and a selection (ticked entries, kept
 * while moving between folders) restored in ONE restore, with one progress bar and one cancel,
 * into a folder or as a .zip or .tar.
 */
import { useEffect, useState } from 'preact/hooks'
import { useTask } from '../use-task.js'
import { CancelledNote, ErrorBox } from '../components/error-box.js'
import { ProgressBar } from '../components/progress-bar.js'
import { formatBytes } from '../format.js'
import { RestoreButtons, outcomeText } from './backups-restore.js'
import type { App, RestoreTarget, SnapshotRow, TreeRow } from '../../app/app.js'

/** Segments joined with NUL, which no entry name holds: "a/b" and ["a", "b"] stay apart. */
const keyOf = (segments: readonly string[]): string => segments.join('\0')
const shown = (segments: readonly string[]): string => '/' + segments.join('/')

export function Browser ({ app, snapshot, path, onNavigate, onClose }: { app: App, snapshot: SnapshotRow, path: string[], onNavigate: (p: string[]) => void, onClose: () => void }) {
  const [rows, setRows] = useState<TreeRow[] | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [picked, setPicked] = useState<Map<string, { segments: string[], type: string }>>(new Map())
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const task = useTask('Cancelled. Files restored before the cancel are kept; a download is not saved.')
  const at = shown(path)
  useEffect(() => { setPicked(new Map()); setNotice(undefined) }, [snapshot.id])
  useEffect(() => {
    setRows(undefined)
    setError(undefined)
    const c = new AbortController()
    app.backups.list(snapshot.id, at, { signal: c.signal }).then(setRows, (err: unknown) => { if (!c.signal.aborted) setError((err as Error).message) })
    return () => { c.abort() }
  }, [snapshot.id, at])

  const toggle = (segments: string[], type: string, on: boolean): void => {
    const next = new Map(picked)
    if (on) next.set(keyOf(segments), { segments, type }); else next.delete(keyOf(segments))
    setPicked(next)
  }
  const here = (rows ?? []).map(r => ({ segments: [...path, r.name], type: r.type }))
  const allHere = here.length > 0 && here.every(h => picked.has(keyOf(h.segments)))
  const toggleAll = (on: boolean): void => {
    const next = new Map(picked)
    for (const h of here) { if (on) next.set(keyOf(h.segments), h); else next.delete(keyOf(h.segments)) }
    setPicked(next)
  }
  const restoreOne = (target: RestoreTarget): void => {
    setNotice(undefined)
    void task.run(async (o) => await app.backups.restorePath(snapshot.id, at, target, o)).then(r => { if (r !== undefined) setNotice(outcomeText(r, target)) })
  }
  const restorePicked = (target: RestoreTarget): void => {
    setNotice(undefined)
    const list = [...picked.values()].map(p => p.segments)
    void task.run(async (o) => await app.backups.restoreSelection(snapshot.id, list, target, o)).then(r => { if (r !== undefined) setNotice(outcomeText(r, target)) })
  }
  const pickedList = [...picked.values()]

  return (
    <div class="card" data-testid="snapshot-browser" data-path={at}>
      <div class="row wrap">
        <h3 class="grow wrap-anywhere">Snapshot <code>{snapshot.shortId}</code>: <a href="#/backups" onClick={(e) => { e.preventDefault(); onNavigate([]) }}>/</a>{path.map((p, i) => <span key={i}><a href="#/backups" onClick={(e) => { e.preventDefault(); onNavigate(path.slice(0, i + 1)) }}>{p}</a>/</span>)}</h3>
        <button type="button" class="secondary" onClick={onClose}>Close</button>
      </div>
      {path.length > 0 && <div class="row wrap" data-testid="folder-restore"><span class="muted">This folder:</span><RestoreButtons small busy={task.busy} onRestore={restoreOne} /></div>}
      {rows === undefined && error === undefined && <p class="muted">Loading…</p>}
      {rows !== undefined && (
        <div class="scroll-x"><table data-testid="tree">
          <thead><tr><th class="pick"><input type="checkbox" aria-label="Select everything in this folder" checked={allHere} disabled={here.length === 0} onChange={(e) => { toggleAll((e.target as HTMLInputElement).checked) }} /></th><th>Name</th><th>Size</th><th>Modified</th><th /></tr></thead>
          <tbody>
            {rows.map(r => {
              const segments = [...path, r.name]
              return (
                <tr key={r.name} data-entry={r.name} data-type={r.type}>
                  <td class="pick"><input type="checkbox" name="pick" aria-label={`Select ${r.name}`} checked={picked.has(keyOf(segments))} onChange={(e) => { toggle(segments, r.type, (e.target as HTMLInputElement).checked) }} /></td>
                  <td class="entry-name">{r.type === 'dir' ? <a href="#/backups" onClick={(e) => { e.preventDefault(); onNavigate(segments) }}>{r.name}/</a> : r.name}</td>
                  <td class="nowrap">{r.type === 'file' ? formatBytes(r.size) : ''}</td>
                  <td class="nowrap">{r.mtime.slice(0, 19).replace('T', ' ')}</td>
                  <td>{r.type === 'file' && <button type="button" class="secondary small" disabled={task.busy} onClick={() => { void task.run(async (o) => app.backups.downloadFile(snapshot.id, shown(segments), o)) }}>Download</button>}</td>
                </tr>
              )
            })}
          </tbody>
        </table></div>
      )}
      {pickedList.length > 0 && (
        <div class="selection" data-testid="selection" data-count={pickedList.length}>
          <p><strong>{pickedList.length} selected</strong>: <span class="wrap-anywhere">{pickedList.slice(0, 6).map(p => shown(p.segments) + (p.type === 'dir' ? '/' : '')).join(', ')}{pickedList.length > 6 ? `, and ${pickedList.length - 6} more` : ''}</span></p>
          <div class="row wrap">
            <RestoreButtons busy={task.busy} onRestore={restorePicked} />
            <button type="button" class="link" onClick={() => { setPicked(new Map()) }}>Clear selection</button>
          </div>
        </div>
      )}
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      <ErrorBox message={error ?? task.error} onClose={() => { setError(undefined); task.clearError() }} />
      <CancelledNote message={task.cancelled} />
      {notice !== undefined && <p class="ok" role="status" data-testid="restore-notice">{notice}</p>}
    </div>
  )
}
