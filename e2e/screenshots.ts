import { join } from 'node:path';

/**
 * Where the e2e specs put their screenshots. `npm test` writes them under the ignored test-results/ folder so
 * a test run never rewrites tracked files; `npm run screenshots` sets SCREENSHOTS_DIR=docs/screenshots to
 * refresh the README's pictures on purpose.
 */
export function shotPath(name: string): string {
  return join(process.env.SCREENSHOTS_DIR || join('test-results', 'screenshots'), name);
}
