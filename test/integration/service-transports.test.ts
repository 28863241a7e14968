// The service behind its transports, over real HTTP on 127.0.0.1 (the localhost bridge) and the
// Electron glue with stand-ins for ipcMain and webContents: server-sent events, files by id
// (with Range), uploads, verifying a dropped PDF, signature/seal images, the support bundle
// without secrets, typed IPC both ways.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ipcChannel } from '../../src-shared/api/contract.js';
import { EVENT_CHANNEL, UiEvent } from '../../src-shared/api/ui-types.js';
import { startBridge, type Bridge } from '../../src-core/bridge/bridge-server.js';
import { createService, type KysoService } from '../../src-core/service/create-service.js';
import { demoSealPng, demoSignaturePng } from '../../src-core/service/demo-kit.js';
import { stripCredentials, redact } from '../../src-core/service/diagnostics.js';
import { forwardEvents, registerIpcHandlers, type IpcInvokeEvent } from '../../src-main/ipc/typed-ipc.js';
import { makeGhostscriptPdf } from '../helpers/pdf-fixtures.js';

let dir: string;
let svc: KysoService;
let bridge: Bridge;
let cookie = '';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function call(
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: bridge.port, path, method: o.method ?? 'GET', headers: { cookie, ...o.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

async function api<T>(channel: string, payload: unknown = {}): Promise<T> {
  const r = await call(`/api/call/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const v = JSON.parse(r.body.toString('utf8')) as { ok: boolean; value?: T; error?: unknown };
  if (!v.ok) throw v.error;
  return v.value as T;
}

async function upload(data: Buffer, name: string, type: string): Promise<string> {
  const r = await call(`/api/upload?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: data,
  });
  assert.equal(r.status, 200, r.body.toString());
  return (JSON.parse(r.body.toString()) as { uploadId: string }).uploadId;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-transports-'));
  await mkdir(join(dir, 'www'));
  await writeFile(join(dir, 'www', 'index.html'), '<!doctype html><title>Ký Số</title>');
  svc = createService({
    transport: 'browser',
    locale: 'vi',
    dataDir: join(dir, 'data'),
    env: { ...process.env, KYSO_PKCS11_MODULE: '/nonexistent/lib.so', KYSO_PROXY: 'http://user:secret@proxy:3128' },
  });
  bridge = await startBridge({ api: svc, staticDir: join(dir, 'www') });
  const launch = await call(new URL(bridge.launchUrl).pathname + new URL(bridge.launchUrl).search);
  cookie = String(launch.headers['set-cookie']).split(';')[0]!;
});

after(async () => {
  await bridge.close();
  await svc.host.close();
  await rm(dir, { recursive: true, force: true });
});

test('server-sent events: each service event arrives once, as the contract shapes it', async () => {
  const got: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: bridge.port, path: '/api/events', headers: { cookie } }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (const m of buf.matchAll(/^data: (.*)$/gm)) {
          const e = JSON.parse(m[1]!) as { type: string };
          // Other events (the sync engine's status) may come too; these two are ours.
          if (e.type === 'navigate' || e.type === 'locale') got.push(e);
        }
        buf = buf.slice(buf.lastIndexOf('\n\n') + 2);
        if (got.length >= 2) {
          req.destroy();
          resolve();
        }
      });
      setTimeout(() => {
        svc.host.events.emit({ type: 'navigate', to: 'verify' });
        svc.host.events.emit({ type: 'locale', locale: 'en' });
      }, 50);
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
  });
  assert.equal(got.length, 2);
  for (const e of got) assert.ok(UiEvent.safeParse(e).success);
  assert.deepEqual(
    got.map((e) => (e as { type: string }).type),
    ['navigate', 'locale'],
  );
  const noCookie = await new Promise<number>((resolve) => {
    request({ host: '127.0.0.1', port: bridge.port, path: '/api/events' }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    }).end();
  });
  assert.equal(noCookie, 403, 'events need the session too');
});

test('a dropped PDF is uploaded, verified, and served back by id with Range', async () => {
  const pdf = await makeGhostscriptPdf(dir, 2);
  const bytes = await (await import('node:fs/promises')).readFile(pdf);
  const uploadId = await upload(bytes, 'công văn.pdf', 'application/pdf');
  const v = await api<{
    blobId: string;
    name: string;
    report: { signatures: unknown[]; warnings: Array<{ code: string }> };
  }>('verify.file', { uploadId });
  assert.equal(v.name, 'công văn.pdf');
  assert.equal(v.report.signatures.length, 0);
  assert.ok(v.report.warnings.some((w) => w.code === 'noSignatures'));
  const whole = await call(`/api/blob/${v.blobId}`);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['content-type'], 'application/pdf');
  assert.ok(whole.body.equals(bytes));
  const part = await call(`/api/blob/${v.blobId}`, { headers: { range: 'bytes=0-7' } });
  assert.equal(part.status, 206);
  assert.equal(part.body.toString('latin1'), bytes.subarray(0, 8).toString('latin1'));
  assert.equal(part.headers['content-range'], `bytes 0-7/${bytes.length}`);
  assert.equal((await call('/api/blob/not-a-real-id')).status, 404);

  const notPdf = await upload(Buffer.from('hello'), 'a.pdf', 'application/pdf');
  await assert.rejects(
    api('verify.file', { uploadId: notPdf }),
    (e: { messageKey: string }) => e.messageKey === 'ui.error.notPdf',
  );
  const wrongType = await call('/api/upload?name=x', {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'x',
  });
  assert.equal(wrongType.status, 415, 'no simple cross-site form type is accepted');
});

test('signature and seal images: validated, previewed, colour checked', async () => {
  const sig = await upload(demoSignaturePng(), 'chu-ky.png', 'image/png');
  const s1 = await api<{ signatureImage: { blobId: string; ink: string; warnings: unknown[] } | null }>(
    'settings.setImage',
    {
      kind: 'signature',
      uploadId: sig,
    },
  );
  assert.equal(s1.signatureImage?.ink, 'blue');
  assert.deepEqual(s1.signatureImage?.warnings, []);
  const preview = await call(`/api/blob/${s1.signatureImage!.blobId}`);
  assert.equal(preview.headers['content-type'], 'image/png');
  // A red seal used as the signature is accepted with the Decree 30 colour warning.
  const seal = await upload(demoSealPng(), 'con-dau.png', 'image/png');
  const s2 = await api<{ signatureImage: { warnings: Array<{ messageKey: string }> } | null }>('settings.setImage', {
    kind: 'signature',
    uploadId: seal,
  });
  assert.equal(s2.signatureImage?.warnings[0]?.messageKey, 'roles.warn.signatureNotBlue');
  const junk = await upload(Buffer.from('not a png'), 'x.png', 'image/png');
  await assert.rejects(
    api('settings.setImage', { kind: 'seal', uploadId: junk }),
    (e: { code: string }) => e.code === 'INPUT_MALFORMED',
  );
  const cleared = await api<{ sealImage: unknown }>('settings.setImage', { kind: 'seal', uploadId: null });
  assert.equal(cleared.sealImage, null);
});

test('settings persist; the support bundle is gzip JSON without secrets', async () => {
  const s = await api<{ serverUrl: string; revocationMode: string }>('settings.update', {
    patch: { serverUrl: 'http://127.0.0.1:9', revocationMode: 'offline' },
  });
  assert.equal(s.serverUrl, 'http://127.0.0.1:9');
  const d = await api<{ checks: Array<{ id: string; ok: boolean; detail: string }> }>('diagnostics.run');
  assert.equal(d.checks.find((c) => c.id === 'server')?.ok, false);
  assert.equal(d.checks.find((c) => c.id === 'ocsp')?.detail, 'offline-mode');
  const b = await api<{ blobId: string; name: string }>('diagnostics.bundle');
  const r = await call(`/api/blob/${b.blobId}`);
  assert.match(String(r.headers['content-disposition']), /^attachment;/);
  const text = gunzipSync(r.body).toString('utf8');
  const doc = JSON.parse(text) as { kind: string; settings: { proxy: string } };
  assert.equal(doc.kind, 'kyso-support-bundle');
  assert.equal(doc.settings.proxy, 'http://proxy:3128/');
  assert.doesNotMatch(text, /secret/);
  assert.equal(stripCredentials('https://a:b@host/x'), 'https://host/x');
  assert.deepEqual(redact({ pin: '1234', accessToken: 'x', ids: [{ kind: 'CCCD', value: '001085012345' }] }), {
    pin: '[removed]',
    accessToken: '[removed]',
    ids: [{ kind: 'CCCD', value: '*********345' }],
  });
});

test('Electron glue: typed IPC checks the sender and the schema; events go out validated', async () => {
  const handlers = new Map<string, (e: IpcInvokeEvent, p: unknown) => Promise<unknown>>();
  const fakeIpc = {
    handle: (c: string, l: (e: IpcInvokeEvent, p: unknown) => Promise<unknown>) => void handlers.set(c, l),
    removeHandler: (c: string) => void handlers.delete(c),
  };
  const stop = registerIpcHandlers(fakeIpc, svc, (s) => s.id === 7);
  const ok = { sender: { id: 7 }, senderFrame: { url: 'app://kyso/index.html' } };
  const info = (await handlers.get(ipcChannel('app.info'))!(ok, {})) as { ok: boolean; value: { transport: string } };
  assert.equal(info.ok, true);
  const foreign = (await handlers.get(ipcChannel('app.info'))!(
    { sender: { id: 8 }, senderFrame: ok.senderFrame },
    {},
  )) as {
    error: { code: string };
  };
  assert.equal(foreign.error.code, 'IPC_FORBIDDEN');
  const bad = (await handlers.get(ipcChannel('sign.start'))!(ok, { items: [], certId: 'zz', pin: '' })) as {
    error: { code: string };
  };
  assert.equal(bad.error.code, 'IPC_INVALID', 'the PIN and items are schema-checked before the service sees them');
  stop();
  assert.equal(handlers.size, 0);

  const sent: Array<[string, unknown]> = [];
  const target = { isDestroyed: () => false, send: (c: string, p: unknown) => void sent.push([c, p]) };
  const unsubscribe = forwardEvents(target, (l) => svc.host.events.subscribe(l));
  svc.host.events.emit({ type: 'navigate', to: 'outbox' });
  unsubscribe();
  svc.host.events.emit({ type: 'navigate', to: 'queue' });
  assert.equal(sent.length, 1);
  assert.equal(sent[0]![0], EVENT_CHANNEL);
  assert.equal((sent[0]![1] as { to: string }).to, 'outbox');
});
