/**
 * `kyso demo`: the whole flow on one machine with nothing configured — the reference server with
 * the demo organisation (Bộ Tài chính), a SoftHSM2 demo token with a certificate bound to the
 * demo leader (and one for the organisation, used by the clerk), sample signature and seal
 * images, and the UI pointed at them. The server lives above src-core, so src-cli passes a
 * starter for it (src-cli/demo.ts).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir, ensureDir, writeFileAtomic } from '../../service/data-dir.js';
import { demoPki, demoSealPng, demoSignaturePng, demoToken, DEMO_TOKEN_LABEL } from '../../service/demo-kit.js';
import type { CliContext } from '../context.js';
import { openBrowser, parsePort, startUi, waitForSignal } from './ui.js';

export interface DemoServer {
  url: string;
  /** Password accounts of the seed (username, role, password). */
  accounts: Array<{ username: string; fullName: string; role: string; password: string }>;
  /** Binds a token certificate to a seeded user (once). */
  bind(username: string, certDer: Buffer, kind: 'personal' | 'organisation'): Promise<void>;
  close(): Promise<void>;
}

export type DemoServerStarter = (o: { dir: string; port: number }) => Promise<DemoServer>;

export async function runDemo(args: string[], ctx: CliContext, startServer: DemoServerStarter): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      'server-port': { type: 'string' },
      'data-dir': { type: 'string' },
      'no-open': { type: 'boolean', default: false },
      'no-ui': { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const root = values['data-dir'] ?? join(defaultDataDir(ctx.env), 'demo');
  if (values.fresh) rmSync(root, { recursive: true, force: true });
  ensureDir(root);
  const vi = ctx.locale === 'vi';
  const say = (v: string, e: string): void => {
    if (!values.json) ctx.stdout.write(`${vi ? v : e}\n`);
  };

  const pki = await demoPki(join(root, 'pki'));
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  let token = null;
  try {
    token = await demoToken(join(root, 'softhsm'), pki, env);
  } catch (e) {
    say(
      `Không tạo được thiết bị ký số demo: ${(e as Error).message}`,
      `Could not create the demo token: ${(e as Error).message}`,
    );
  }
  const server = await startServer({ dir: join(root, 'server'), port: parsePort(values['server-port']) });
  await server.bind('duc', pki.leader.certDer, 'personal');
  await server.bind('lan', pki.organisation.certDer, 'organisation');

  const images = ensureDir(join(root, 'images'));
  const signaturePath = join(images, 'chu-ky-demo.png');
  const sealPath = join(images, 'con-dau-demo.png');
  await writeFileAtomic(signaturePath, demoSignaturePng());
  await writeFileAtomic(sealPath, demoSealPng());

  const appEnv: Record<string, string> = {
    KYSO_SERVER_URL: server.url,
    KYSO_TRUST_FILES: pki.rootPemPath,
    KYSO_SIGNATURE_IMAGE: signaturePath,
    KYSO_SEAL_IMAGE: sealPath,
    KYSO_DATA_DIR: join(root, 'app'),
    ...(token ? { KYSO_PKCS11_MODULE: token.module, SOFTHSM2_CONF: token.confPath } : {}),
  };
  Object.assign(env, appEnv);
  // A previous run's settings name the previous server port: point them at this one.
  const settingsPath = join(ensureDir(appEnv.KYSO_DATA_DIR!), 'settings.json');
  let saved: Record<string, unknown> = {};
  try {
    saved = JSON.parse(readFileSync(settingsPath, 'utf8')) as Record<string, unknown>;
  } catch {
    saved = {};
  }
  if (Object.keys(saved).length > 0) {
    await writeFileAtomic(
      settingsPath,
      JSON.stringify({ ...saved, serverUrl: server.url, trustFiles: [pki.rootPemPath] }, null, 2),
    );
  }

  say('Ký Số — chế độ trình diễn', 'Ký Số — demo');
  say(
    `  Máy chủ văn bản (dữ liệu mẫu Bộ Tài chính): ${server.url}`,
    `  Document server (Bộ Tài chính sample data): ${server.url}`,
  );
  if (token) {
    say(
      `  Thiết bị ký số demo "${DEMO_TOKEN_LABEL}" (SoftHSM2) — mã PIN: ${token.pin}`,
      `  Demo token "${DEMO_TOKEN_LABEL}" (SoftHSM2) — PIN: ${token.pin}`,
    );
    say(
      '  Chứng thư số: Nguyễn Văn Đức (lãnh đạo, tài khoản duc); Bộ Tài chính (văn thư, tài khoản lan)',
      '  Certificates: Nguyễn Văn Đức (leader, account duc); Bộ Tài chính (clerk, account lan)',
    );
  } else {
    say(
      '  Không có SoftHSM2 (apt install softhsm2): đăng nhập bằng mật khẩu; ký số cần thiết bị thật.',
      '  SoftHSM2 not installed (apt install softhsm2): sign in with a password; signing needs a real token.',
    );
  }
  say(
    `  Tài khoản mật khẩu: ${server.accounts.map((a) => a.username).join(', ')} — ${server.accounts[0]?.password ?? ''}`,
    `  Password accounts: ${server.accounts.map((a) => a.username).join(', ')} — ${server.accounts[0]?.password ?? ''}`,
  );
  say(`  Dữ liệu: ${root}`, `  Data: ${root}`);

  if (values['no-ui']) {
    // For `npm start` with Electron: the app is started by the caller with this environment.
    if (values.json)
      ctx.stdout.write(`${JSON.stringify({ serverUrl: server.url, pin: token?.pin ?? null, env: appEnv })}\n`);
    await waitForSignal();
    await server.close();
    return 0;
  }

  const ui = await startUi(
    { ...ctx, env },
    { port: parsePort(values.port), service: { env, dataDir: appEnv.KYSO_DATA_DIR! } },
  );
  if (values.json) {
    ctx.stdout.write(
      `${JSON.stringify({ serverUrl: server.url, pin: token?.pin ?? null, url: ui.bridge.launchUrl })}\n`,
    );
  } else {
    say('  Mở trong trình duyệt (liên kết dùng một lần):', '  Open in the browser (one-time link):');
    ctx.stdout.write(`${ui.bridge.launchUrl}\n`);
  }
  if (!values['no-open']) openBrowser(ui.bridge.launchUrl);
  await waitForSignal();
  await ui.close();
  await server.close();
  return 0;
}
