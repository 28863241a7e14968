/**
 * Electron main process: kept thin. It owns the window, the app:// scheme (the renderer, plus
 * ./api/blob and ./api/upload for files), typed IPC both ways, the native menu in the chosen
 * language and notifications; everything else is the src-core service, tested without Electron.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  Notification,
  protocol,
  safeStorage,
  session,
  shell,
} from 'electron';
import ElectronStore from 'electron-store';
import { autoUpdater } from 'electron-updater';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { APP_ENTRY, APP_HOST, APP_SCHEME } from './app-origin.js';
import { CONTENT_SECURITY_POLICY, denyPermissions, hardenContents } from './content-security.js';
import { forwardEvents, registerIpcHandlers } from './ipc/typed-ipc.js';
import { menuTemplate } from './menu.js';
import { startUpdater } from './updater.js';
import { mainWindowOptions } from './window-options.js';
import { ElectronStoreBackend, electronStoreOptions } from './electron-settings.js';
import { SAFE_SECRETS_FILE, SafeStorageSecretStore } from './safe-storage-secrets.js';
import { openLog } from '../src-core/log/logger.js';
import { ensureDir } from '../src-core/service/data-dir.js';
import { createService, type KysoService } from '../src-core/service/create-service.js';
import { toErrorValue } from '../src-shared/errors.js';
import { errorText, pickLocale, t } from '../src-shared/i18n/translate.js';
import { VERSION } from '../src-core/version.js';

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

function fileResponse(path: string, type: string, extra: Record<string, string> = {}): Response {
  const size = statSync(path).size;
  const body = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream;
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': type,
      'content-length': String(size),
      'content-security-policy': CONTENT_SECURITY_POLICY,
      ...extra,
    },
  });
}

/** app://kyso/… : the built renderer, and the service's files by id. */
async function handleApp(req: Request, rendererRoot: string, service: KysoService): Promise<Response> {
  const url = new URL(req.url);
  if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
  if (url.pathname.startsWith('/api/blob/')) {
    const b = service.host.blob(decodeURIComponent(url.pathname.slice('/api/blob/'.length)));
    if (!b || !existsSync(b.path)) return new Response('not found', { status: 404 });
    const disposition = `${b.download || url.searchParams.get('download') ? 'attachment' : 'inline'}; filename*=UTF-8''${encodeURIComponent(b.name)}`;
    return fileResponse(b.path, b.mime, { 'content-disposition': disposition });
  }
  if (url.pathname === '/api/upload') {
    if (req.method !== 'POST' || !req.body) return new Response('POST only', { status: 405 });
    try {
      const body = Readable.fromWeb(req.body as WebReadableStream);
      const type = (req.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim();
      const uploadId = await service.host.receiveUpload(body, {
        name: url.searchParams.get('name') ?? 'upload',
        mime: type,
      });
      return Response.json({ uploadId });
    } catch {
      return Response.json(
        { error: { code: 'INPUT_UNREADABLE', messageKey: 'error.inputUnreadable', params: { path: 'upload' } } },
        { status: 400 },
      );
    }
  }
  const file = join(rendererRoot, decodeURIComponent(url.pathname));
  if (!(file + sep).startsWith(rendererRoot + sep) || file === rendererRoot || !existsSync(file)) {
    return new Response('not found', { status: 404 });
  }
  const ext = file.slice(file.lastIndexOf('.'));
  return fileResponse(file, MIME[ext] ?? 'application/octet-stream');
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  // No window, webview or navigation leaves the app, and nothing is handed to the OS browser.
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));
  app.on('window-all-closed', () => app.quit());

  void app.whenReady().then(() => {
    const rendererRoot = join(__dirname, '..', 'renderer');
    // Vietnamese unless KYSO_LANG or the saved setting says otherwise.
    const locale = process.env.KYSO_LANG ? pickLocale(process.env.KYSO_LANG) : 'vi';
    const dataDir = ensureDir(process.env.KYSO_DATA_DIR ?? app.getPath('userData'));
    // Our redacting, rotating logger (src-core/log) rather than electron-log: one format and one
    // redaction for the app, `kyso ui` and the CLI, and no extra IPC channel (docs/enterprise-config.md).
    const log = openLog(dataDir);
    log.info('electron.start', { version: VERSION, electron: process.versions.electron, packaged: app.isPackaged });
    process.on('unhandledRejection', (e) => log.error('electron.unhandledRejection', { error: e }));
    app.on('render-process-gone', (_e, _wc, d) =>
      log.error('electron.rendererGone', { reason: d.reason, exitCode: d.exitCode }),
    );
    app.on('child-process-gone', (_e, d) => log.warn('electron.childGone', { type: d.type, reason: d.reason }));
    let service: KysoService;
    try {
      service = createService({
        transport: 'electron',
        locale,
        dataDir,
        log,
        // User settings in electron-store (same settings.json), refresh token in the OS keychain.
        settingsBackend: new ElectronStoreBackend(
          new ElectronStore<Record<string, unknown>>(electronStoreOptions(dataDir)),
        ),
        secrets: new SafeStorageSecretStore(join(dataDir, 'sync-engine', SAFE_SECRETS_FILE), safeStorage, log),
      });
    } catch (e) {
      // An enterprise preset that cannot be applied: say which file and why, then stop.
      dialog.showErrorBox(t(locale, 'app.title'), errorText(locale, toErrorValue(e)));
      app.quit();
      return;
    }
    protocol.handle(APP_SCHEME, (req) => handleApp(req, rendererRoot, service));
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({
        responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
      });
    });
    denyPermissions(session.defaultSession);

    const options = mainWindowOptions(join(__dirname, 'preload.cjs'));
    // The flags that matter most are repeated at the constructor so static scanners
    // (Electronegativity) and reviewers see them here; window-options.ts is tested to agree.
    win = new BrowserWindow({
      ...options,
      webPreferences: {
        ...options.webPreferences,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        disableBlinkFeatures: 'Auxclick',
      },
    });
    const trustedId = win.webContents.id;
    registerIpcHandlers(ipcMain, service, (sender) => sender.id === trustedId);
    const events = service.host.events;
    const stopForwarding = forwardEvents(win.webContents, (l) => events.subscribe(l));

    // Native menu in the chosen language, rebuilt when it changes.
    const buildMenu = (): void => {
      const l = service.host.locale();
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(
          menuTemplate(l, {
            navigate: (to) => events.emit({ type: 'navigate', to }),
            openGuide: () => {
              // One guide, Vietnamese first then English (docs/user-guide.md, an extra resource).
              const root = app.isPackaged ? process.resourcesPath : app.getAppPath();
              const guide = join(root, 'docs', 'user-guide.md');
              // Shown in the app's own folder view rather than handed to another program.
              if (existsSync(guide)) shell.showItemInFolder(guide);
            },
            about: () =>
              void dialog.showMessageBox(win!, {
                message: t(l, 'ui.menu.about'),
                detail: t(l, 'ui.menu.aboutText', { version: VERSION }),
              }),
          }),
        ),
      );
    };
    buildMenu();

    // New documents while the window is in the background: a system notification.
    const stopNotify = events.subscribe((e) => {
      if (e.type === 'locale') buildMenu();
      if (e.type === 'queue' && e.newItems > 0 && Notification.isSupported() && !win?.isFocused()) {
        const n = new Notification({
          title: t(service.host.locale(), 'ui.notify.newItems', { n: e.newItems }),
          body: e.titles.join('\n'),
        });
        n.on('click', () => {
          win?.show();
          win?.focus();
          events.emit({ type: 'navigate', to: 'queue' });
        });
        n.show();
      }
    });

    win.once('ready-to-show', () => {
      win?.show();
      // Updates only for an installed app and only from the organisation's server (preset).
      if (!app.isPackaged) return;
      startUpdater(autoUpdater, {
        updateUrl: service.host.updateUrl() || undefined,
        confirmInstall: async (version) => {
          const l = service.host.locale();
          const answer = await dialog.showMessageBox(win!, {
            type: 'question',
            buttons: [t(l, 'ui.update.installNow'), t(l, 'ui.update.later')],
            defaultId: 1,
            cancelId: 1,
            message: t(l, 'ui.update.ready', { version }),
          });
          return answer.response === 0;
        },
        log: (event, data) => log.info(event, data ?? {}),
      }).catch((e: unknown) => log.warn('update.failed', { error: e }));
    });
    win.on('closed', () => {
      stopForwarding();
      stopNotify();
      win = null;
    });
    app.on('before-quit', () => {
      log.info('electron.quit', {});
      void service.host.close();
    });
    void win.loadURL(APP_ENTRY);
  });
}
