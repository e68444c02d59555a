/**
 * Turn what the user picked or dropped into a flat list of `{ path, file }` entries (folders keep
 * their relative paths; empty folders appear as entries without a file).
 */
export interface PickedEntry {
  path: string
  file?: File
}

/** From `<input type=file multiple>` or `<input webkitdirectory>`. */
export function fromFileList (files: FileList | File[]): PickedEntry[] {
  return Array.from(files).map(f => ({ path: f.webkitRelativePath !== '' ? f.webkitRelativePath : f.name, file: f }))
}

type FsEntry = FileSystemEntry
function isFile (e: FsEntry): e is FileSystemFileEntry { return e.isFile }
function isDir (e: FsEntry): e is FileSystemDirectoryEntry { return e.isDirectory }

async function readAllEntries (dir: FileSystemDirectoryEntry): Promise<FsEntry[]> {
  const reader = dir.createReader()
  const out: FsEntry[] = []
  // readEntries returns at most ~100 entries per call; call until it returns none.
  while (true) {
    const batch = await new Promise<FsEntry[]>((resolve, reject) => { reader.readEntries(resolve, reject) })
    if (batch.length === 0) return out
    out.push(...batch)
  }
}

async function walk (entry: FsEntry, prefix: string, out: PickedEntry[]): Promise<void> {
  const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`
  if (isFile(entry)) {
    const file = await new Promise<File>((resolve, reject) => { entry.file(resolve, reject) })
    out.push({ path, file })
  } else if (isDir(entry)) {
    const children = await readAllEntries(entry)
    if (children.length === 0) out.push({ path })
    for (const c of children) await walk(c, path, out)
  }
}

/** From a drop: files and whole folders (through the entries API). */
export async function fromDataTransfer (dt: DataTransfer): Promise<PickedEntry[]> {
  const roots = Array.from(dt.items).map(i => i.webkitGetAsEntry()).filter((e): e is FsEntry => e !== null)
  if (roots.length === 0) return fromFileList(dt.files)
  const out: PickedEntry[] = []
  for (const r of roots) await walk(r, '', out)
  return out
}

/** From the File System Access API's directory picker, where the browser has it. */
export async function fromDirectoryHandle (handle: FileSystemDirectoryHandle, prefix = handle.name): Promise<PickedEntry[]> {
  const out: PickedEntry[] = []
  let empty = true
  for await (const child of (handle as unknown as { values: () => AsyncIterable<FileSystemHandle> }).values()) {
    empty = false
    const path = `${prefix}/${child.name}`
    if (child.kind === 'file') out.push({ path, file: await (child as FileSystemFileHandle).getFile() })
    else out.push(...await fromDirectoryHandle(child as FileSystemDirectoryHandle, path))
  }
  if (empty) out.push({ path: prefix })
  return out
}
