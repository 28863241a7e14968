import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AppInfo, KysoApi } from '../src-shared/api/contract';
import type {
  BatchState,
  QueueList,
  Screen,
  SessionState,
  SignItem,
  SyncStatus,
  TokenState,
  UiEvent,
} from '../src-shared/api/ui-types';
import type { Locale } from '../src-shared/i18n/messages';
import { pickLocale } from '../src-shared/i18n/translate';
import { subscribeEvents } from './api-client';
import { TokenBar } from './components/TokenBar';
import { I18nContext, makeI18n } from './i18n';
import { activeChoice } from './lib/tokens';
import { DiagnosticsScreen } from './screens/Diagnostics';
import { DocumentView } from './screens/DocumentView';
import { OutboxScreen } from './screens/Outbox';
import { BATCHABLE, QueueScreen } from './screens/Queue';
import { SettingsScreen } from './screens/Settings';
import { SignDialog } from './screens/SignDialog';
import { SignIn } from './screens/SignIn';
import { VerifyScreen } from './screens/Verify';

const NAV: ReadonlyArray<{
  screen: Screen;
  key: 'nav.queue' | 'nav.verify' | 'ui.nav.outbox' | 'nav.settings' | 'ui.nav.diagnostics';
}> = [
  { screen: 'queue', key: 'nav.queue' },
  { screen: 'verify', key: 'nav.verify' },
  { screen: 'outbox', key: 'ui.nav.outbox' },
  { screen: 'settings', key: 'nav.settings' },
  { screen: 'diagnostics', key: 'ui.nav.diagnostics' },
];

interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

export function App({ api }: { api: KysoApi }) {
  const [locale, setLocale] = useState<Locale>(pickLocale(navigator.language));
  const i18n = useMemo(() => makeI18n(locale), [locale]);
  const { t } = i18n;
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [tokens, setTokens] = useState<TokenState | null>(null);
  const [session, setSession] = useState<SessionState | null>(null);
  const [sync, setSync] = useState<SyncStatus | null>(null);
  const [queue, setQueue] = useState<QueueList>({ items: [], syncedAt: null });
  const [queueLoaded, setQueueLoaded] = useState(false);
  const [screen, setScreen] = useState<Screen>('queue');
  const [openDoc, setOpenDoc] = useState<number | null>(null);
  const [certId, setCertId] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [signing, setSigning] = useState<SignItem[] | null>(null);
  const [batchEvent, setBatchEvent] = useState<BatchState | null>(null);
  const [outboxTick, setOutboxTick] = useState(0);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [help, setHelp] = useState(false);
  const queueTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const toastId = useRef(0);

  const toast = useCallback((text: string, kind: Toast['kind'] = 'info') => {
    const id = ++toastId.current;
    setToasts((ts) => [...ts.slice(-3), { id, text, kind }]);
    setTimeout(() => setToasts((ts) => ts.filter((x) => x.id !== id)), 8000);
  }, []);

  const loadQueue = useCallback(() => {
    api['queue.list']({}).then(
      (q) => {
        setQueue(q);
        setQueueLoaded(true);
      },
      () => undefined,
    );
  }, [api]);

  useEffect(() => {
    api['app.info']({}).then(
      (i) => {
        setInfo(i);
        setLocale(i.locale);
      },
      () => undefined,
    );
    api['tokens.state']({}).then(setTokens, () => undefined);
    api['session.state']({}).then(setSession, () => undefined);
    api['sync.status']({}).then(setSync, () => undefined);
    loadQueue();
  }, [api, loadQueue]);

  // Events pushed by the service: token hot-plug, sync status, queue changes, batch progress.
  const localeRef = useRef(i18n);
  localeRef.current = i18n;
  const sessionRef = useRef(session);
  sessionRef.current = session;
  useEffect(
    () =>
      subscribeEvents((e: UiEvent) => {
        switch (e.type) {
          case 'tokens':
            setTokens(e.state);
            break;
          case 'sync':
            setSync(e.status);
            // Signed in or out elsewhere (a stored session restored, a session that expired).
            if ((e.status.state === 'signed-out') !== !sessionRef.current?.user) {
              api['session.state']({}).then(
                (s) => {
                  setSession(s);
                  loadQueue();
                },
                () => undefined,
              );
            }
            break;
          case 'queue':
            if (queueTimer.current) clearTimeout(queueTimer.current);
            queueTimer.current = setTimeout(loadQueue, 120);
            if (e.newItems > 0) {
              toast(
                localeRef.current.t('ui.toast.newItems', { n: e.newItems, titles: e.titles.slice(0, 2).join('; ') }),
              );
            }
            break;
          case 'batch':
            setBatchEvent(e.state);
            break;
          case 'outbox':
            setOutboxTick((n) => n + 1);
            break;
          case 'locale':
            setLocale(e.locale);
            break;
          case 'navigate':
            setOpenDoc(null);
            setScreen(e.to);
            break;
        }
      }),
    [api, loadQueue, toast],
  );

  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = t('app.title');
  }, [locale, t]);

  const changeLocale = (l: Locale): void => {
    setLocale(l);
    api['app.setLocale']({ locale: l }).then(setInfo, () => undefined);
  };
  const syncNow = (): void => {
    api['sync.now']({}).then(setSync, (e: unknown) => toast(i18n.err(e), 'error'));
  };
  const logout = (): void => {
    api['session.logout']({}).then(
      (s) => {
        setSession(s);
        setSelected(new Set());
        setOpenDoc(null);
        setScreen('queue');
        loadQueue();
      },
      () => undefined,
    );
  };

  const choice = activeChoice(tokens, certId, session?.certificateSha256 ?? null);
  const titles = useMemo(() => new Map(queue.items.map((i) => [i.assignmentId, i.title])), [queue.items]);
  const signSelected = (): void => {
    const items = queue.items
      .filter((i) => selected.has(i.assignmentId) && BATCHABLE.has(i.action))
      .map((i) => ({ assignmentId: i.assignmentId }));
    if (items.length) setSigning(items);
  };
  const go = (s: Screen): void => {
    setOpenDoc(null);
    setScreen(s);
  };

  // Global shortcuts: Alt+1…5 screens, Ctrl+Enter sign the selection, F1 or ? the list of shortcuts.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target as HTMLElement | null;
      const typing =
        !!target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
      if (e.altKey && !e.ctrlKey && /^[1-5]$/.test(e.key)) {
        e.preventDefault();
        go(NAV[Number(e.key) - 1]!.screen);
      } else if (e.key === 'F1' || (e.key === '?' && !typing)) {
        e.preventDefault();
        setHelp((h) => !h);
      } else if (e.key === 'Escape' && help) {
        setHelp(false);
      } else if (e.altKey && e.key.toLowerCase() === 's') {
        e.preventDefault();
        syncNow();
      } else if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && screen === 'queue' && openDoc === null && !signing) {
        e.preventDefault();
        signSelected();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const signedIn = !!session?.user;
  const outboxCount = (sync?.pendingUploads ?? 0) + (sync?.conflicts ?? 0);

  return (
    <I18nContext.Provider value={i18n}>
      <div className="shell">
        <a className="skip" href="#main">
          {t('ui.skipToContent')}
        </a>
        <TokenBar
          tokens={tokens}
          session={session}
          sync={sync}
          certId={choice?.cert.id ?? null}
          onCert={setCertId}
          onSyncNow={syncNow}
          onLogout={logout}
          onLocale={changeLocale}
        />
        <div className="frame">
          <nav className="sidenav" aria-label={t('ui.nav.main')}>
            {NAV.map((n, i) => (
              <button
                key={n.screen}
                type="button"
                className={screen === n.screen ? 'nav-item active' : 'nav-item'}
                aria-current={screen === n.screen ? 'page' : undefined}
                onClick={() => go(n.screen)}
                title={`Alt+${i + 1}`}
                data-testid={`nav-${n.screen}`}
              >
                <span className="nav-icon" aria-hidden="true">
                  {['☰', '✓', '⇪', '⚙', '✚'][i]}
                </span>
                <span className="nav-label">{t(n.key)}</span>
                {n.screen === 'queue' && signedIn && <span className="count">{queue.items.length}</span>}
                {n.screen === 'outbox' && outboxCount > 0 && <span className="count count-warn">{outboxCount}</span>}
              </button>
            ))}
            <div className="nav-foot small muted">
              {info && (
                <>
                  <div>
                    {t('app.versionLabel')} {info.version}
                  </div>
                  <div data-testid="app-mode">
                    {t(info.transport === 'electron' ? 'app.mode.electron' : 'app.mode.browser')}
                  </div>
                </>
              )}
              <button type="button" className="link" onClick={() => setHelp(true)}>
                {t('ui.help.shortcuts')}
              </button>
            </div>
          </nav>
          <main id="main" className="content" tabIndex={-1}>
            {openDoc !== null ? (
              <DocumentView
                api={api}
                assignmentId={openDoc}
                certId={choice?.cert.id ?? null}
                onBack={() => setOpenDoc(null)}
                onSign={setSigning}
              />
            ) : screen === 'queue' ? (
              signedIn ? (
                queueLoaded ? (
                  <QueueScreen
                    items={queue.items}
                    syncedAt={queue.syncedAt}
                    selected={selected}
                    onSelect={setSelected}
                    onOpen={setOpenDoc}
                    onSignSelected={signSelected}
                  />
                ) : (
                  <p className="muted">{t('ui.viewer.loading')}</p>
                )
              ) : session ? (
                <SignIn
                  api={api}
                  serverUrl={session.serverUrl}
                  choice={choice}
                  onSignedIn={(s) => {
                    setSession(s);
                    loadQueue();
                  }}
                  onSettings={() => go('settings')}
                />
              ) : null
            ) : screen === 'verify' ? (
              <VerifyScreen api={api} />
            ) : screen === 'outbox' ? (
              <OutboxScreen api={api} sync={sync} tick={outboxTick} onSyncNow={syncNow} />
            ) : screen === 'settings' ? (
              <SettingsScreen
                api={api}
                onLocale={(l) => {
                  setLocale(l);
                  api['session.state']({}).then(setSession, () => undefined);
                }}
              />
            ) : (
              <DiagnosticsScreen api={api} />
            )}
          </main>
        </div>
        {signing && (
          <SignDialog
            api={api}
            items={signing}
            titles={titles}
            choice={choice}
            batchEvent={batchEvent}
            onClose={() => {
              setSigning(null);
              setSelected(new Set());
              loadQueue();
            }}
          />
        )}
        {help && (
          <div className="modal-backdrop" onClick={() => setHelp(false)}>
            <div
              className="modal"
              role="dialog"
              aria-modal="true"
              aria-labelledby="help-h"
              onClick={(e) => e.stopPropagation()}
            >
              <h2 id="help-h">{t('ui.help.shortcuts')}</h2>
              <table className="table small">
                <tbody>
                  {(
                    [
                      ['Alt+1 … Alt+5', 'ui.help.screens'],
                      ['/', 'ui.help.search'],
                      ['↑ ↓ Enter', 'ui.help.list'],
                      ['Space', 'ui.help.select'],
                      ['Ctrl+Enter', 'ui.help.sign'],
                      ['Ctrl+F', 'ui.help.find'],
                      ['+ − R', 'ui.help.zoom'],
                      ['PageUp PageDown', 'ui.help.pages'],
                      ['← ↑ → ↓', 'ui.help.stamp'],
                      ['Alt+S', 'ui.help.sync'],
                      ['Esc', 'ui.help.close'],
                    ] as const
                  ).map(([k, d]) => (
                    <tr key={k}>
                      <th scope="row">
                        <kbd>{k}</kbd>
                      </th>
                      <td>{t(d)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="modal-actions">
                <button type="button" className="primary" onClick={() => setHelp(false)} autoFocus>
                  {t('ui.common.close')}
                </button>
              </div>
            </div>
          </div>
        )}
        <div className="toasts" aria-live="polite" data-testid="toasts">
          {toasts.map((x) => (
            <div key={x.id} className={`toast toast-${x.kind}`} role="status">
              {x.text}
            </div>
          ))}
        </div>
      </div>
    </I18nContext.Provider>
  );
}
