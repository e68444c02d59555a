/**
 * Compare two snapshots: pick them, and the changed paths stream in (added, removed, modified,
 * type changed, and metadata with the box ticked), then restic's statistics; cancel any time.
 */
import { useEffect, useState } from 'preact/hooks'
import { useTask } from '../use-task.js'
import { CancelledNote, ErrorBox } from '../components/error-box.js'
import { ProgressBar } from '../components/progress-bar.js'
import { formatBytes } from '../format.js'
import type { App, ChangeKind, DiffChangeRow, DiffStat, DiffSummary, OpenRepoView, SnapshotRow } from '../../app/app.js'

const SHOWN = 2000
const MARK: Record<ChangeKind, string> = { added: '+', removed: '−', modified: 'M', type: 'T', metadata: 'U' }
const WORD: Record<ChangeKind, string> = { added: 'added', removed: 'removed', modified: 'modified', type: 'type changed', metadata: 'metadata' }

const label = (s: SnapshotRow): string => `${s.shortId} · ${new Date(s.time).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })} · ${s.host}`
const statText = (s: DiffStat): string => `${s.files} ${s.files === 1 ? 'file' : 'files'}, ${s.dirs} ${s.dirs === 1 ? 'folder' : 'folders'}${s.others > 0 ? `, ${s.others} other` : ''}, ${formatBytes(s.bytes)} in ${s.data_blobs + s.tree_blobs} blobs`

export function DiffPanel ({ app, repo }: { app: App, repo: OpenRepoView }) {
  const task = useTask('Comparison cancelled; the changes found so far are listed.')
  const snaps = repo.snapshots
  const [from, setFrom] = useState(snaps[1]?.id ?? '')
  const [to, setTo] = useState(snaps[0]?.id ?? '')
  const [metadata, setMetadata] = useState(false)
  const [changes, setChanges] = useState<DiffChangeRow[] | undefined>(undefined)
  const [counts, setCounts] = useState<Record<ChangeKind, number>>({ added: 0, removed: 0, modified: 0, type: 0, metadata: 0 })
  const [stats, setStats] = useState<DiffSummary | undefined>(undefined)
  // Keep the choices valid when snapshots come and go.
  useEffect(() => {
    const known = (id: string): boolean => snaps.some(s => s.id === id)
    if (!known(from) || !known(to) || from === to) { setFrom(snaps[1]?.id ?? ''); setTo(snaps[0]?.id ?? '') }
  }, [snaps])
  if (snaps.length < 2) return null
  const run = async (): Promise<void> => {
    setChanges([]); setStats(undefined); setCounts({ added: 0, removed: 0, modified: 0, type: 0, metadata: 0 })
    await task.run(async (o) => {
      const kept: DiffChangeRow[] = []
      const n: Record<ChangeKind, number> = { added: 0, removed: 0, modified: 0, type: 0, metadata: 0 }
      let last = 0
      const flush = (): void => { setChanges(kept.slice()); setCounts({ ...n }) }
      try {
        for await (const item of app.backups.diff(from, to, {
          signal: o.signal,
          metadata,
          onProgress: (e) => { o.onProgress({ label: `Comparing ${e.detail.path}`, unit: 'folders', done: e.detail.folders, total: undefined, rate: 0, eta: undefined }) }
        })) {
          if (item.kind === 'stats') { setStats(item); continue }
          n[item.change]++
          if (kept.length < SHOWN) kept.push(item)
          if (performance.now() - last > 150) { flush(); last = performance.now() }
        }
      } finally {
        flush()
      }
    })
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  return (
    <details class="card" data-testid="diff">
      <summary>Compare two snapshots</summary>
      <form class="row wrap" onSubmit={(e) => { e.preventDefault(); void run() }}>
        <label>From <select name="diff-from" value={from} onChange={(e) => { setFrom((e.target as HTMLSelectElement).value) }}>{snaps.map(s => <option key={s.id} value={s.id}>{label(s)}</option>)}</select></label>
        <label>To <select name="diff-to" value={to} onChange={(e) => { setTo((e.target as HTMLSelectElement).value) }}>{snaps.map(s => <option key={s.id} value={s.id}>{label(s)}</option>)}</select></label>
        <label><input type="checkbox" checked={metadata} onChange={(e) => { setMetadata((e.target as HTMLInputElement).checked) }} /> metadata changes too</label>
        <button type="submit" disabled={task.busy || from === '' || to === '' || from === to}>Compare</button>
      </form>
      {from !== '' && from === to && <p class="muted">Pick two different snapshots.</p>}
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      <ErrorBox message={task.error} onClose={task.clearError} />
      <CancelledNote message={task.cancelled} />
      {changes !== undefined && !task.busy && task.error === undefined && (
        <div role="status" data-testid="diff-summary">
          <p>{total === 0 ? 'No changes.' : (Object.keys(counts) as ChangeKind[]).filter(k => counts[k] > 0).map(k => `${counts[k]} ${WORD[k]}`).join(' · ')}{total > changes.length ? ` (the first ${changes.length} listed)` : ''}</p>
          {stats !== undefined && (
            <dl class="facts" data-testid="diff-stats">
              <dt>Files modified</dt><dd>{stats.changedFiles}</dd>
              <dt>Added</dt><dd>{statText(stats.added)}</dd>
              <dt>Removed</dt><dd>{statText(stats.removed)}</dd>
            </dl>
          )}
        </div>
      )}
      {changes !== undefined && changes.length > 0 && (
        <ul class="diff-list" data-testid="diff-changes">
          {changes.map((c, i) => <li key={i} class={`diff-${c.change}`} data-change={c.change} data-path={c.path}><span class="diff-mark" title={WORD[c.change]}>{c.modifier === '-' ? MARK.removed : c.modifier}</span> <span class="wrap-anywhere">{c.path}</span></li>)}
        </ul>
      )}
    </details>
  )
}
