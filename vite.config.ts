import { defineConfig } from 'vite'

// A static site with a relative base, so dist/ works from any path (a sub-folder, an IPFS gateway).
// CAIRN_DIST builds somewhere else (the bench builds into its own folder, leaving dist/ alone).
export default defineConfig({
  base: './',
  build: {
    target: 'es2022',
    outDir: process.env.CAIRN_DIST ?? 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    modulePreload: { polyfill: false },
    // Error classes are told apart by name across bundles and workers, so keep class names.
    rolldownOptions: { output: { keepNames: true } }
  },
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' }
  },
  // zstd's .wasm sits next to its module (new URL(…, import.meta.url)); pre-bundling would move
  // the module away from it in dev.
  optimizeDeps: { exclude: ['@bokuweb/zstd-wasm'] },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' }
})
