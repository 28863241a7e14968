import { useEffect, useState } from 'react';
import type { AppInfo, KysoApi } from '../src-shared/api/contract';
import { isKysoErrorValue, type KysoErrorValue } from '../src-shared/errors';
import type { Locale, MessageKey } from '../src-shared/i18n/messages';
import { errorText, pickLocale, t } from '../src-shared/i18n/translate';

export function App({ api }: { api: KysoApi }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<KysoErrorValue | null>(null);
  const [locale, setLocale] = useState<Locale>(pickLocale(navigator.language));

  useEffect(() => {
    api['app.info']({}).then(
      (i) => {
        setInfo(i);
        setLocale(i.locale);
      },
      (e: unknown) => setError(isKysoErrorValue(e) ? e : { code: 'INTERNAL', messageKey: 'error.internal' }),
    );
  }, [api]);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  const tr = (k: MessageKey, p?: Record<string, string | number>) => t(locale, k, p);
  const changeLocale = (l: Locale) => {
    setLocale(l);
    api['app.setLocale']({ locale: l }).then(setInfo, () => undefined);
  };

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            KS
          </span>
          <div>
            <h1>{tr('app.title')}</h1>
            <p className="tagline">{tr('app.tagline')}</p>
          </div>
        </div>
        <label className="lang">
          <span>{tr('app.language')}</span>
          <select
            aria-label={tr('app.language')}
            value={locale}
            onChange={(e) => changeLocale(e.target.value === 'en' ? 'en' : 'vi')}
          >
            <option value="vi">Tiếng Việt</option>
            <option value="en">English</option>
          </select>
        </label>
      </header>
      <main className="content">
        <section className="card" aria-labelledby="queue-h">
          <h2 id="queue-h">{tr('nav.queue')}</h2>
          <p className="muted">{tr('queue.notConfigured')}</p>
        </section>
        <section className="card" aria-labelledby="status-h">
          <h2 id="status-h">{tr('status.engine')}</h2>
          {error && (
            <p role="alert" className="error">
              {errorText(locale, error)}
            </p>
          )}
          {info && (
            <dl className="facts" data-testid="app-info">
              <dt>{tr('status.engine')}</dt>
              <dd>{tr('status.ready')}</dd>
              <dt>{tr('app.versionLabel')}</dt>
              <dd>{info.version}</dd>
              <dt>{tr('app.mode')}</dt>
              <dd>{tr(info.transport === 'electron' ? 'app.mode.electron' : 'app.mode.browser')}</dd>
            </dl>
          )}
        </section>
      </main>
    </div>
  );
}
