/** The restore targets every restore of the Backups page offers: a folder, a .zip or a .tar. */
import { formatBytes } from '../format.js'
import type { RestoreOutcome, RestoreTarget } from '../../app/app.js'

type DirectoryPicker = (o?: { mode?: 'read' | 'readwrite' }) => Promise<FileSystemDirectoryHandle>
export const directoryPicker = (): DirectoryPicker | undefined => (globalThis as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker

/** Ask for a folder (File System Access API); undefined when the browser has none or the user closed the picker. */
export async function pickFolderTarget (): Promise<RestoreTarget | undefined> {
  const picker = directoryPicker()
  if (picker === undefined) return undefined
  const dir = await picker({ mode: 'readwrite' }).catch(() => undefined)
  return dir === undefined ? undefined : { kind: 'folder', dir }
}

/** "Restore to a folder", "Download .zip", "Download .tar"; `onRestore` gets the chosen target. */
export function RestoreButtons ({ busy, disabled = false, small = false, onRestore }: { busy: boolean, disabled?: boolean, small?: boolean, onRestore: (t: RestoreTarget) => void }) {
  const cls = small ? 'secondary small' : 'secondary'
  return (
    <>
      {directoryPicker() !== undefined && <button type="button" class={cls} disabled={busy || disabled} onClick={() => { void pickFolderTarget().then(t => { if (t !== undefined) onRestore(t) }) }}>Restore to a folder</button>}
      <button type="button" class={cls} disabled={busy || disabled} onClick={() => { onRestore({ kind: 'zip' }) }}>Download .zip</button>
      <button type="button" class={cls} disabled={busy || disabled} onClick={() => { onRestore({ kind: 'tar' }) }}>Download .tar</button>
    </>
  )
}

export function outcomeText (r: RestoreOutcome, target: RestoreTarget): string {
  const where = target.kind === 'folder' ? 'into the folder' : `as a .${target.kind}`
  const skipped = r.skipped.length > 0 ? ` Left out (the target cannot hold them): ${r.skipped.join(', ')}.` : ''
  return `Restored ${r.files} ${r.files === 1 ? 'file' : 'files'} (${formatBytes(r.bytes)}) ${where}.${skipped}`
}
