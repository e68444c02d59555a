/**
 * The snapshots table: sorted by a column (time, host, paths, size), filtered by host, tag and
 * path, with each row's browse and restore actions. Snapshot files that could not be read are
 * named above it, with why and what to do.
 */
import { useState } from 'preact/hooks'
import { useTask } from '../use-task.js'
import { CancelledNote, ErrorBox } from '../components/error-box.js'
import { ProgressBar } from '../components/progress-bar.js'
import { formatBytes } from '../format.js'
import { DEFAULT_SORT, nextSort, snapshotFacets, viewSnapshots } from '../../app/app.js'
import { RestoreButtons, outcomeText } from './backups-restore.js'
import type { App, OpenRepoView, RestoreTarget, SkippedSnapshot, SnapshotRow, SnapshotSort, SnapshotSortKey, SnapshotTableFilter } from '../../app/app.js'

function changesText (r: SnapshotRow): string {
  if (r.changes === undefined) return '…'
  const c = r.changes
  return `+${c.filesNew} new · ${c.filesChanged} changed · ${c.filesUnmodified} same${c.filesRemoved > 0 ? ` · −${c.filesRemoved} removed` : ''}`
}

/** The snapshot files the listing left out, with why and what to do. */
export function SkippedSnapshots ({ skipped }: { skipped: SkippedSnapshot[] }) {
  if (skipped.length === 0) return null
  return (
    <div class="banner warning" role="alert" data-testid="skipped-snapshots">
      <strong>{skipped.length === 1 ? 'One snapshot could not be read and is not listed.' : `${skipped.length} snapshots could not be read and are not listed.`}</strong>
      <ul>
        {skipped.map(s => <li key={s.id} data-skipped={s.id}>Snapshot <code>{s.shortId}</code>: {s.reason}</li>)}
      </ul>
      <p>The snapshots listed below are intact. What to do: run <strong>Check (read all data)</strong> under “Forget, prune, check” to see what else is damaged; from a terminal, <code>cairn restic repair snapshots --forget</code> repairs what it can. A snapshot file that no longer reads back cannot be repaired: restore that snapshot from another copy of the repository (a keeper, or an export).</p>
    </div>
  )
}

const COLUMNS: Array<{ key: SnapshotSortKey, label: string }> = [{ key: 'time', label: 'Time' }, { key: 'host', label: 'Host' }, { key: 'paths', label: 'Paths' }, { key: 'size', label: 'Size' }]

function SortHeader ({ col, sort, onSort }: { col: { key: SnapshotSortKey, label: string }, sort: SnapshotSort, onSort: (k: SnapshotSortKey) => void }) {
  const active = sort.key === col.key
  return (
    <th aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" class="link sort" data-sort={col.key} onClick={() => { onSort(col.key) }}>{col.label}{active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</button>
    </th>
  )
}

export function Snapshots ({ app, repo, onBrowse }: { app: App, repo: OpenRepoView, onBrowse: (s: SnapshotRow) => void }) {
  const task = useTask('Cancelled.')
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [sort, setSort] = useState<SnapshotSort>(DEFAULT_SORT)
  const [filter, setFilter] = useState<SnapshotTableFilter>({ host: '', tag: '', path: '' })
  const facets = snapshotFacets(repo.snapshots)
  const rows = viewSnapshots(repo.snapshots, filter, sort)
  const restoreAll = (s: SnapshotRow, target: RestoreTarget): void => {
    setNotice(undefined)
    void task.run(async (o) => await app.backups.restorePath(s.id, '/', target, o)).then(r => { if (r !== undefined) setNotice(outcomeText(r, target)) })
  }
  const filtered = rows.length !== repo.snapshots.length
  return (
    <div class="card">
      <h3>Snapshots {repo.loadingStats && <small class="muted">(computing sizes…)</small>}</h3>
      <SkippedSnapshots skipped={repo.skipped} />
      {repo.snapshots.length === 0
        ? <p class="muted">No snapshots yet.</p>
        : (
          <>
            <div class="row wrap filters" data-testid="snapshot-filters">
              <label>Host <select name="filter-host" value={filter.host} onChange={(e) => { setFilter({ ...filter, host: (e.target as HTMLSelectElement).value }) }}><option value="">any</option>{facets.hosts.map(h => <option key={h} value={h}>{h === '' ? '(none)' : h}</option>)}</select></label>
              <label>Tag <select name="filter-tag" value={filter.tag} onChange={(e) => { setFilter({ ...filter, tag: (e.target as HTMLSelectElement).value }) }}><option value="">any</option>{facets.tags.map(t => <option key={t} value={t}>{t}</option>)}</select></label>
              <label class="grow">Path contains <input name="filter-path" value={filter.path} placeholder="e.g. /home or Photos" onInput={(e) => { setFilter({ ...filter, path: (e.target as HTMLInputElement).value }) }} /></label>
              {filtered && <small class="muted" data-testid="snapshot-count">{rows.length} of {repo.snapshots.length} shown <button type="button" class="link" onClick={() => { setFilter({ host: '', tag: '', path: '' }) }}>show all</button></small>}
            </div>
            <div class="scroll-x"><table data-testid="snapshots">
              <thead><tr><SortHeader col={COLUMNS[0]!} sort={sort} onSort={(k) => { setSort(nextSort(sort, k)) }} /><th>ID</th><SortHeader col={COLUMNS[1]!} sort={sort} onSort={(k) => { setSort(nextSort(sort, k)) }} /><th>Tags</th><SortHeader col={COLUMNS[2]!} sort={sort} onSort={(k) => { setSort(nextSort(sort, k)) }} /><SortHeader col={COLUMNS[3]!} sort={sort} onSort={(k) => { setSort(nextSort(sort, k)) }} /><th>Changes</th><th /></tr></thead>
              <tbody>
                {rows.length === 0 && <tr><td colSpan={8} class="muted">No snapshot matches the filter.</td></tr>}
                {rows.map(s => (
                  <tr key={s.id} data-snapshot={s.id}>
                    <td class="nowrap">{new Date(s.time).toLocaleString()}</td>
                    <td class="nowrap"><code>{s.shortId}</code></td>
                    <td class="nowrap" data-testid="snapshot-host">{s.host}</td>
                    <td>{s.tags.join(', ')}</td>
                    <td>{s.paths.join(' ')}</td>
                    <td data-testid="snapshot-size"><span class="nowrap">{s.totals !== undefined ? `${formatBytes(s.totals.bytes)} in ${s.totals.files} ${s.totals.files === 1 ? 'file' : 'files'}` : '…'}</span>{s.bytesAdded !== undefined ? <><br /><small class="muted">{formatBytes(s.bytesAdded)} added</small></> : null}</td>
                    <td data-testid="snapshot-changes">{changesText(s)}</td>
                    <td class="actions">
                      <button type="button" class="secondary small" onClick={() => { onBrowse(s) }}>Browse</button>
                      <RestoreButtons small busy={task.busy} onRestore={(t) => { restoreAll(s, t) }} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table></div>
          </>
          )}
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      <ErrorBox message={task.error} onClose={task.clearError} />
      <CancelledNote message={task.cancelled} />
      {notice !== undefined && <p class="ok" role="status" data-testid="restore-notice">{notice}</p>}
    </div>
  )
}
