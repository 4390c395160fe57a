import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';

// The Content-Security-Policy of the built app: no dev hosts, network access only to this origin and the hub,
// base-uri and frame-ancestors locked, and it binds the trainer worker (which downloads models): a hub
// "mirror" on a host the policy does not list gets no request at all — the browser refuses it.
test('the CSP allows only this origin and the hub, also for the worker that downloads models', async ({ page }) => {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(404, { 'access-control-allow-origin': '*' }).end('Entry not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const response = await page.goto('/');
    const header = response!.headers()['content-security-policy'] ?? '';
    expect(header).toContain("base-uri 'self'");
    expect(header).toContain("frame-ancestors 'none'");
    expect(header).toContain("connect-src 'self' https://huggingface.co");
    expect(header).not.toMatch(/connect-src[^;]*\shttps:(\s|;|$)/); // not "any https host"
    expect(header).not.toMatch(/localhost|127\.0\.0\.1/); // no dev hosts in the built app
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(meta).toContain("base-uri 'self'");

    await page.getByTestId('tab-model').click();
    await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
    await page.getByTestId('model-kind-hub').check();
    await page.getByTestId('hub-host').fill(mirror);
    await page.getByTestId('hub-id').fill('FacebookAI/roberta-base');
    await page.getByTestId('model-load').click();
    await expect(page.getByTestId('model-error')).toContainText(`Could not reach ${mirror}`);
    expect(hits).toEqual([]);
    // Nothing half-loaded took the embedded model's place.
    await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
  } finally {
    server.close();
  }
});
