import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';

/**
 * The Content-Security-Policy of the app. Network access is limited to this origin and the Hugging Face hub
 * (whose files redirect to *.huggingface.co / *.hf.co CDNs); a deployment that uses a hub mirror lists its
 * origins in RANK_LAB_HUB_HOSTS (comma-separated) at build time. The dev server adds its own HMR socket.
 * Sent as an HTTP header by `vite` and `vite preview` — the only way a policy reaches the workers, which do
 * the downloading — and written into the HTML as a meta tag for static hosts that cannot set headers.
 */
export function contentSecurityPolicy(dev: boolean, header: boolean): string {
  const hub = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'];
  const extra = (process.env.RANK_LAB_HUB_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  const devHosts = dev ? ['ws://127.0.0.1:*', 'ws://localhost:*', 'http://127.0.0.1:*', 'http://localhost:*'] : [];
  return [
    "default-src 'self'",
    // blob: is for tfjs-backend-wasm's threaded build: its thread workers importScripts() the module
    // factory from a blob URL that only this origin's code can create.
    "script-src 'self' 'wasm-unsafe-eval' blob:",
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${[...hub, ...extra, ...devHosts].join(' ')}`,
    "base-uri 'self'",
    "object-src 'none'",
    "form-action 'none'",
    // Only honoured in a header (a meta tag may not carry it).
    ...(header ? ["frame-ancestors 'none'"] : []),
  ].join('; ');
}

/**
 * Cross-origin isolation: without it there is no SharedArrayBuffer, and tfjs-backend-wasm falls back to its
 * single-threaded build. `require-corp` admits every asset of this origin and CORS fetches (the hub sends
 * `Access-Control-Allow-Origin`), so model downloads keep working.
 */
export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

function cspPlugin(): Plugin {
  let dev = false;
  return {
    name: 'rank-lab-csp',
    configResolved(c) {
      dev = c.command === 'serve' && c.mode !== 'production' && !c.isProduction;
    },
    transformIndexHtml(html) {
      return html.replace('<!-- CSP -->', `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(dev, false)}" />`);
    },
  };
}

/**
 * tfjs-backend-wasm starts its threads from `factory.toString()`, so the factory must not refer to the
 * closure variable `_scriptDir` around it: minification renames that variable and the thread workers fail
 * with "e is not defined". The two uses inside are fallbacks tfjs never needs (it sets locateFile and
 * mainScriptUrlOrBlob itself), so they are cut out of the source before bundling.
 */
function wasmThreadsPlugin(): Plugin {
  return {
    name: 'rank-lab-wasm-threads',
    transform(code, id) {
      if (!/tfjs-backend-wasm-threaded-simd\.js$/.test(id)) return undefined;
      const out = code
        .replace('if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}', '')
        .replace('"urlOrBlob":Module["mainScriptUrlOrBlob"]||_scriptDir', '"urlOrBlob":Module["mainScriptUrlOrBlob"]');
      const inside = out.slice(out.indexOf('return ('));
      if (inside.includes('_scriptDir')) throw new Error('tfjs-backend-wasm changed: _scriptDir is still used inside the threaded factory');
      return { code: out, map: null };
    },
  };
}

export default defineConfig({
  plugins: [svelte(), cspPlugin(), wasmThreadsPlugin()],
  // Workers are bundled separately, with their own plugins: tfjs (and so its wasm threads) lives in them.
  worker: { format: 'es', plugins: () => [wasmThreadsPlugin()] },
  server: { port: 5173, strictPort: false, headers: { 'Content-Security-Policy': contentSecurityPolicy(true, true), ...CROSS_ORIGIN_ISOLATION } },
  preview: { port: 4173, headers: { 'Content-Security-Policy': contentSecurityPolicy(false, true), ...CROSS_ORIGIN_ISOLATION } },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    // bench.html: the engine-check page driven by e2e/reference.spec.ts and bench/train-browser.ts.
    rollupOptions: { input: { main: 'index.html', bench: 'bench.html' } },
  },
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts', 'workers/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
