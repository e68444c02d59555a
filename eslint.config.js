// Lint: typescript-eslint's recommended rules plus the layering rule.
// Layers may only import downward: ui → app → ipfs / restic / platform → core.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

const HELIA = ['helia', 'helia/*', '@helia/*', 'libp2p', '@libp2p/*', 'blockstore-*', 'datastore-*']
const NODE_BUILTINS = ['node:*']
// Bare built-in names are matched exactly (as `paths`), so that e.g. `@helia/http` is not caught.
const BARE_BUILTINS = ['fs', 'fs/promises', 'path', 'os', 'crypto', 'child_process', 'stream', 'buffer', 'http', 'https', 'url', 'util', 'worker_threads', 'zlib', 'net']

/** One block per layer: the patterns it must never import. */
function layer (files, forbidden, message) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: forbidden, message }],
        paths: forbidden.includes('node:*') ? BARE_BUILTINS.map(name => ({ name, message })) : []
      }]
    }
  }
}

export default tseslint.config(
  { ignores: ['dist/**', 'scratch/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench-results/**', 'public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.worker } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off'
    }
  },
  layer(['src/core/**'], ['**/restic/**', '**/ipfs/**', '**/platform/**', '**/app/**', '**/ui/**', '**/node/**', '**/sw/**', '**/workers/**', ...HELIA, ...NODE_BUILTINS],
    'core/ is the bottom layer: it imports nothing from the app, no Helia and no Node built-ins.'),
  layer(['src/restic/**'], ['**/ipfs/**', '**/platform/**', '**/app/**', '**/ui/**', '**/node/**', '**/sw/**', '**/workers/**', ...HELIA, ...NODE_BUILTINS],
    'restic/ is pure TypeScript: no Helia, no DOM adapters, no Node built-ins (Node-only backends live in src/node/).'),
  layer(['src/ipfs/**'], ['**/platform/**', '**/app/**', '**/ui/**', '**/node/**', '**/sw/**', ...NODE_BUILTINS],
    'ipfs/ sits below app/ and ui/, and must run in the page, so no Node built-ins.'),
  layer(['src/platform/**'], ['**/ipfs/**', '**/app/**', '**/ui/**', '**/node/**', '**/sw/**', ...HELIA, ...NODE_BUILTINS],
    'platform/ holds browser adapters only; it imports core/ (and restic/ interfaces).'),
  layer(['src/app/**'], ['**/ui/**', '**/node/**', '**/sw/**', ...NODE_BUILTINS],
    'app/ is below ui/ and runs in the page.'),
  layer(['src/ui/**'], ['**/ipfs/**', '**/restic/**', '**/platform/**', '**/node/**', '**/sw/**', '**/workers/**', ...HELIA, ...NODE_BUILTINS],
    'ui/ talks to app/ only (and core/ for types and errors).'),
  layer(['src/workers/**'], ['**/app/**', '**/ui/**', '**/node/**', '**/platform/**', ...NODE_BUILTINS],
    'workers/ run heavy work on restic/, ipfs/ and core/ only.'),
  layer(['src/sw/**'], ['**/app/**', '**/ui/**', '**/node/**', '**/workers/**', '**/restic/**', '@libp2p/webrtc', ...NODE_BUILTINS],
    'sw/ (the service worker) has no DOM and no WebRTC; it uses core/ and ipfs/ HTTP parts.')
)
