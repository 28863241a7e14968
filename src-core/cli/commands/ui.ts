import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startBridge } from '../../bridge/bridge-server.js';
import { createService } from '../../service/create-service.js';
import { rendererDir } from '../../util/paths.js';
import { KysoError } from '../../../src-shared/errors.js';
import type { CliContext } from '../context.js';

export async function runUi(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, 'no-open': { type: 'boolean', default: false } },
    strict: true,
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KysoError('USAGE', 'error.usage', { detail: '--port must be 0..65535' });
  }
  const staticDir = rendererDir();
  if (!existsSync(`${staticDir}/index.html`)) {
    throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: `${staticDir} (run "npm run build")` });
  }
  const bridge = await startBridge({
    api: createService({ transport: 'browser', locale: ctx.locale }),
    staticDir,
    port,
  });
  // The URL goes to stdout alone so scripts and tests can read it; the secret is one-time.
  ctx.stdout.write(`${bridge.launchUrl}\n`);
  if (!values['no-open']) openBrowser(bridge.launchUrl);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await bridge.close();
  return 0;
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'win32' ? 'explorer' : process.platform === 'darwin' ? 'open' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}
