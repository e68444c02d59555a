/** Bench-only build of `page/` (stock Helia with @helia/unixfs in a page); output dir from CAIRN_BENCH_OUT. */
import { defineConfig } from 'vite'
import { fileURLToPath } from 'node:url'

export default defineConfig({
  root: fileURLToPath(new URL('./page', import.meta.url)),
  base: './',
  logLevel: 'error',
  build: {
    target: 'es2022',
    outDir: process.env.CAIRN_BENCH_OUT ?? fileURLToPath(new URL('../../bench-results/stock-page', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 4000,
    modulePreload: { polyfill: false },
    rolldownOptions: { output: { keepNames: true } }
  }
})
