import { formatBytes, formatCount } from '../format.js'
import type { TransferProgress } from '../../app/app.js'

function formatEta (s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return ''
  if (s < 60) return `${Math.ceil(s)} s left`
  return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s left`
}

/** A progress bar with bytes, rate, ETA and a cancel button. */
export function ProgressBar ({ progress, onCancel }: { progress: TransferProgress, onCancel?: () => void }) {
  const noun = { blocks: 'block', snapshots: 'snapshot', folders: 'folder' } as const
  const amount = (n: number): string => progress.unit === undefined || progress.unit === 'bytes' ? formatBytes(n) : formatCount(Math.round(n), noun[progress.unit])
  const pct = progress.total !== undefined && progress.total > 0 ? Math.min(100, (progress.done / progress.total) * 100) : undefined
  return (
    <div class="progress" role="status" data-testid="progress">
      <div class="row">
        <span class="grow">{progress.label}</span>
        {onCancel !== undefined && <button type="button" class="secondary" onClick={onCancel}>Cancel</button>}
      </div>
      {pct !== undefined ? <progress max={100} value={pct} /> : <progress />}
      <small class="muted">
        {progress.files !== undefined ? `${progress.files.done}${progress.files.total !== undefined ? ` of ${progress.files.total}` : ''} files · ` : ''}
        {amount(progress.done)}{progress.total !== undefined ? ` of ${amount(progress.total)}` : ''}
        {progress.rate > 0 ? ` · ${amount(progress.rate)}/s` : ''}
        {progress.eta !== undefined ? ` · ${formatEta(progress.eta)}` : ''}
      </small>
    </div>
  )
}
