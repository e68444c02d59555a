/**
 * The service worker's own build: src/sw/sw.ts → dist/sw.js, one classic script (no chunks), run
 * after the app's build so the list of files to precache is known. Served next to index.html, its
 * default scope is `./`: the app's folder, wherever the app is hosted.
 */
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import type { UserConfig } from 'vite'

/** The app's build: dist/, or CAIRN_DIST when the app was built there (as the bench does). */
const DIST = process.env.CAIRN_DIST === undefined ? fileURLToPath(new URL('./dist/', import.meta.url)) : resolve(process.env.CAIRN_DIST)
/** Not part of the shell: the worker itself, the release CAR, and what the local server makes up. */
const SKIP = new Set(['sw.js', 'dist.car', 'cairn-local.json'])

function listFiles (dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name)
    if (statSync(full).isDirectory()) out.push(...listFiles(full))
    else out.push(full)
  }
  return out
}

function precache (): { files: string[], version: string } {
  let all: string[]
  try {
    all = listFiles(DIST)
  } catch {
    throw new Error('dist/ is missing: run `vite build` before `vite build -c vite.sw.config.ts`.')
  }
  const hash = createHash('sha256')
  const files: string[] = []
  for (const full of all) {
    const rel = relative(DIST, full).split(sep).join('/')
    if (SKIP.has(rel)) continue
    files.push('./' + rel)
    hash.update(rel).update('\0').update(readFileSync(full)).update('\0')
  }
  if (!files.includes('./index.html')) throw new Error('dist/index.html is missing: run `vite build` first.')
  return { files: ['./', ...files], version: hash.digest('hex').slice(0, 16) }
}

export default defineConfig((): UserConfig => {
  const { files, version } = precache()
  return {
    base: './',
    publicDir: false,
    define: {
      __CAIRN_PRECACHE__: JSON.stringify(files),
      __CAIRN_VERSION__: JSON.stringify(version)
    },
    build: {
      target: 'es2022',
      outDir: DIST,
      emptyOutDir: false,
      copyPublicDir: false,
      sourcemap: false,
      minify: true,
      // Error classes are told apart by name (CairnError sets name = class name); keep them.
      rolldownOptions: { output: { keepNames: true } },
      chunkSizeWarningLimit: 1500,
      lib: {
        entry: fileURLToPath(new URL('./src/sw/sw.ts', import.meta.url)),
        formats: ['iife'],
        name: 'cairnServiceWorker',
        fileName: () => 'sw.js'
      }
    }
  }
})
