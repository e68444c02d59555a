/**
 * Builds for the bench suites. The app is built by `npm run build` itself (the app, then the
 * service worker with its precache list, then the release CID), into bench-results/app-dist/
 * instead of dist/, so the bench measures exactly what ships and leaves dist/ (what `cairn start`
 * serves) alone. Bench-only pages (bench/<suite>/page) are built with their own vite config.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const built = new Map<string, string>()

/** `npm run build` into bench-results/app-dist (once per bench run); returns that folder. */
export function buildApp (root: string, log: (line: string) => void): string {
  const cached = built.get('app')
  if (cached !== undefined) return cached
  const out = join(root, 'bench-results', 'app-dist')
  log('  building the app (npm run build, into bench-results/app-dist)…')
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CAIRN_DIST: out } })
  for (const f of ['index.html', 'sw.js']) {
    if (!existsSync(join(out, f))) throw new Error(`npm run build left no ${f} in ${out}: the bench would measure something else than what ships.`)
  }
  built.set('app', out)
  return out
}

/** A bench-only page: `vite build -c <config>` with its output in bench-results/<name>. */
export function buildPage (root: string, name: string, config: string, log: (line: string) => void): string {
  const cached = built.get(name)
  if (cached !== undefined) return cached
  const out = join(root, 'bench-results', name)
  log(`  building ${name} (${config})…`)
  execFileSync('npx', ['vite', 'build', '-c', join(root, config)], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CAIRN_BENCH_OUT: out } })
  built.set(name, out)
  return out
}
