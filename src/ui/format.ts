/** Human-readable byte sizes (binary units, as file managers show them). */
export function formatBytes (n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`
}
