/**
 * Find a file across snapshots: a restic pattern, matches listed as they stream in (snapshot,
 * path, size, modified), a progress bar per snapshot searched, and cancel. Each match opens the
 * snapshot browser at its folder.
 */
import { useState } from 'preact/hooks'
import { useTask } from '../use-task.js'
import { CancelledNote, ErrorBox } from '../components/error-box.js'
import { ProgressBar } from '../components/progress-bar.js'
import { formatBytes } from '../format.js'
import type { App, FindHit, OpenRepoView, SnapshotRow } from '../../app/app.js'

/** At most this many matches are kept on the page; the rest are counted. */
const SHOWN = 1000

export function FindPanel ({ app, repo, onShow }: { app: App, repo: OpenRepoView, onShow: (s: SnapshotRow, folder: string[]) => void }) {
  const task = useTask('Search cancelled; the matches found so far are listed.')
  const [pattern, setPattern] = useState('')
  const [ignoreCase, setIgnoreCase] = useState(true)
  const [hits, setHits] = useState<FindHit[] | undefined>(undefined)
  const [count, setCount] = useState(0)
  const [searched, setSearched] = useState('')
  const run = async (): Promise<void> => {
    setHits([]); setCount(0); setSearched(pattern.trim())
    await task.run(async (o) => {
      const kept: FindHit[] = []
      let n = 0
      let last = 0
      const flush = (): void => { setHits(kept.slice()); setCount(n) }
      try {
        for await (const h of app.backups.find(pattern, {
          signal: o.signal,
          ignoreCase,
          onProgress: (e) => { o.onProgress({ label: `Searching snapshot ${Math.min(e.detail.done + 1, e.detail.total)} of ${e.detail.total}`, unit: 'snapshots', done: e.detail.done, total: e.detail.total, rate: 0, eta: undefined }) }
        })) {
          n++
          if (kept.length < SHOWN) kept.push(h)
          if (performance.now() - last > 150) { flush(); last = performance.now() }
        }
      } finally {
        flush()
      }
    })
  }
  const snapshotOf = (id: string): SnapshotRow | undefined => repo.snapshots.find(s => s.id === id)
  return (
    <details class="card" data-testid="find">
      <summary>Find files across snapshots</summary>
      <form class="row wrap" onSubmit={(e) => { e.preventDefault(); void run() }}>
        <label class="grow">Name or pattern <input name="find-pattern" value={pattern} placeholder="e.g. *.jpg, notes.md, photos/2026/*" onInput={(e) => { setPattern((e.target as HTMLInputElement).value) }} /></label>
        <label><input type="checkbox" checked={ignoreCase} onChange={(e) => { setIgnoreCase((e.target as HTMLInputElement).checked) }} /> ignore case</label>
        <button type="submit" disabled={task.busy || pattern.trim() === ''}>Find</button>
      </form>
      <p class="muted"><small>Patterns as restic's <code>find</code>: <code>*</code> and <code>?</code> within a name, <code>**</code> across folders; without a leading <code>/</code> a pattern matches the end of a path.</small></p>
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      <ErrorBox message={task.error} onClose={task.clearError} />
      <CancelledNote message={task.cancelled} />
      {hits !== undefined && !task.busy && task.error === undefined && (
        <p role="status" data-testid="find-summary">{count === 0 ? `Nothing matches “${searched}”.` : `${count} ${count === 1 ? 'match' : 'matches'} for “${searched}”${count > hits.length ? ` (the first ${hits.length} listed)` : ''}.`}</p>
      )}
      {hits !== undefined && hits.length > 0 && (
        <div class="scroll-x"><table data-testid="find-results">
          <thead><tr><th>Snapshot</th><th>Path</th><th>Size</th><th>Modified</th><th /></tr></thead>
          <tbody>
            {hits.map((h, i) => {
              const snap = snapshotOf(h.snapshotId)
              const segments = h.path.split('/').filter(s => s !== '')
              return (
                <tr key={i} data-snapshot={h.snapshotId} data-path={h.path}>
                  <td class="nowrap"><code>{h.shortId}</code> <small class="muted">{new Date(h.time).toLocaleDateString()}</small></td>
                  <td class="wrap-anywhere">{h.path}{h.type === 'dir' ? '/' : ''}</td>
                  <td class="nowrap">{h.size !== undefined ? formatBytes(h.size) : ''}</td>
                  <td class="nowrap">{h.mtime.slice(0, 19).replace('T', ' ')}</td>
                  <td>{snap !== undefined && <button type="button" class="secondary small" onClick={() => { onShow(snap, segments.slice(0, -1)) }}>Show</button>}</td>
                </tr>
              )
            })}
          </tbody>
        </table></div>
      )}
    </details>
  )
}
