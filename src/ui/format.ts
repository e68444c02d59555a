/** Human-readable byte sizes (binary units, as file managers show them). */
export function formatBytes (n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${i === 0 ? Math.round(v) : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`
}

/** A count with its noun, singular or plural: "1 block", "2 blocks". */
export function formatCount (n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? noun : plural}`
}
