import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startBridge, type Bridge } from '../../bridge/bridge-server.js';
import { createService, type KysoService, type ServiceOptions } from '../../service/create-service.js';
import { rendererDir } from '../../util/paths.js';
import { KysoError } from '../../../src-shared/errors.js';
import { pickLocale } from '../../../src-shared/i18n/translate.js';
import type { CliContext } from '../context.js';

export interface RunningUi {
  bridge: Bridge;
  service: KysoService;
  close(): Promise<void>;
}

/** The service behind the localhost bridge (browser mode); `kyso ui` and `kyso demo` use it. */
export async function startUi(
  ctx: CliContext,
  o: { port: number; service?: Partial<ServiceOptions> } = { port: 0 },
): Promise<RunningUi> {
  const staticDir = rendererDir();
  if (!existsSync(`${staticDir}/index.html`)) {
    throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: `${staticDir} (run "npm run build")` });
  }
  // The app speaks Vietnamese unless KYSO_LANG (or the saved setting) says otherwise.
  const locale = ctx.env.KYSO_LANG ? pickLocale(ctx.env.KYSO_LANG) : 'vi';
  const service = createService({ transport: 'browser', locale, env: ctx.env, ...o.service });
  const log = service.host.log;
  let bridge: Bridge;
  try {
    // The service's logger (redacting, rotated): one line per request, never a body or the launch secret.
    bridge = await startBridge({ api: service, staticDir, port: o.port, log });
  } catch (e) {
    log.error('ui.bridgeFailed', { port: o.port, error: e });
    await service.host.close();
    throw e;
  }
  // The origin only: the launch URL carries the one-time secret.
  log.info('ui.start', { origin: bridge.origin, port: bridge.port });
  return {
    bridge,
    service,
    close: async () => {
      log.info('ui.stop', { origin: bridge.origin });
      await bridge.close();
      await service.host.close();
    },
  };
}

export function parsePort(v: string | undefined): number {
  const port = v === undefined ? 0 : Number(v);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KysoError('USAGE', 'error.usage', { detail: '--port must be 0..65535' });
  }
  return port;
}

export function waitForSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function runUi(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, 'no-open': { type: 'boolean', default: false } },
    strict: true,
  });
  const ui = await startUi(ctx, { port: parsePort(values.port) });
  // The URL goes to stdout alone so scripts and tests can read it; the secret is one-time.
  ctx.stdout.write(`${ui.bridge.launchUrl}\n`);
  if (!values['no-open']) openBrowser(ui.bridge.launchUrl);
  await waitForSignal();
  await ui.close();
  return 0;
}

export function openBrowser(url: string): void {
  const cmd = process.platform === 'win32' ? 'explorer' : process.platform === 'darwin' ? 'open' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}
