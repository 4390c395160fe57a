import { defineConfig } from '@playwright/test';

/** Debian's Chromium (never a downloaded browser). WebGPU runs on SwiftShader here: real API, CPU speed. */
// PW_PORT lets two checkouts test side by side without reusing each other's server.
const port = Number(process.env.PW_PORT ?? 4173);
const baseArgs = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export default defineConfig({
  testDir: 'e2e',
  timeout: 300_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: { baseURL: `http://127.0.0.1:${port}`, trace: 'off' },
  webServer: {
    command: `npx vite build && npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}`,
    timeout: 240_000,
    reuseExistingServer: !process.env.CI,
  },
  projects: [
    {
      name: 'webgpu',
      testIgnore: /no-webgpu/,
      use: { launchOptions: { executablePath: '/usr/bin/chromium', args: [...baseArgs, '--enable-unsafe-webgpu'] } },
    },
    {
      name: 'no-webgpu',
      testMatch: /no-webgpu/,
      use: { launchOptions: { executablePath: '/usr/bin/chromium', args: [...baseArgs, '--disable-features=WebGPU,Vulkan'] } },
    },
  ],
});
