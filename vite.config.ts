import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { nodeChunk } from './scripts/node-chunk.js'

// A static site with a relative base, so dist/ works from any path (a sub-folder, an IPFS gateway).
// CAIRN_DIST builds somewhere else (the bench builds into its own folder, leaving dist/ alone).
export default defineConfig({
  base: './',
  resolve: {
    alias: [
      // @helia/libp2p loads the node's key through @libp2p/config, which bundles the whole
      // keychain (asn1js, PEM, a JS PBKDF2) before the peer ID can show. The page reads and writes
      // the same stored format with a few lines (src/ipfs/self-key.ts).
      { find: /^@libp2p\/config$/, replacement: fileURLToPath(new URL('./src/ipfs/self-key.ts', import.meta.url)) }
    ]
  },
  build: {
    target: 'es2022',
    outDir: process.env.CAIRN_DIST ?? 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    modulePreload: { polyfill: false },
    // Error classes are told apart by name across bundles and workers, so keep class names.
    rolldownOptions: { output: { keepNames: true, codeSplitting: { groups: [nodeChunk.group] } } }
  },
  plugins: [nodeChunk.plugin],
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' }
  },
  // zstd's .wasm sits next to its module (new URL(…, import.meta.url)); pre-bundling would move
  // the module away from it in dev.
  optimizeDeps: { exclude: ['@bokuweb/zstd-wasm'] },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' }
})
