import { useEffect, useState } from 'react';
import type { KysoApi } from '../../src-shared/api/contract';
import type { Diagnostics, SupportBundle } from '../../src-shared/api/ui-types';
import { blobUrl } from '../api-client';
import { useI18n } from '../i18n';
import { formatBytes, formatDate } from '../lib/format';

export function DiagnosticsScreen({ api }: { api: KysoApi }) {
  const { t, err, locale } = useI18n();
  const [d, setD] = useState<Diagnostics | null>(null);
  const [busy, setBusy] = useState(false);
  const [bundle, setBundle] = useState<SupportBundle | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = (): void => {
    setBusy(true);
    setError(null);
    api['diagnostics.run']({}).then(
      (x) => {
        setD(x);
        setBusy(false);
      },
      (e: unknown) => {
        setError(err(e));
        setBusy(false);
      },
    );
  };
  useEffect(run, []);

  return (
    <section className="diagnostics" aria-labelledby="diag-h">
      <div className="screen-head">
        <h2 id="diag-h">{t('ui.diag.title')}</h2>
        <button type="button" onClick={run} disabled={busy} data-testid="diag-run">
          {busy ? t('ui.diag.running') : t('ui.diag.run')}
        </button>
        <button
          type="button"
          onClick={() => api['diagnostics.bundle']({}).then(setBundle, (e: unknown) => setError(err(e)))}
          data-testid="diag-bundle"
        >
          {t('ui.diag.bundle')}
        </button>
        {bundle && (
          <a
            className="button primary"
            href={blobUrl(bundle.blobId, true)}
            download={bundle.name}
            data-testid="diag-bundle-link"
          >
            {t('ui.diag.download', { name: bundle.name, size: formatBytes(bundle.size) })}
          </a>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {d && (
        <div className="diag-grid">
          <section className="card">
            <h3>{t('ui.diag.app')}</h3>
            <dl className="facts small">
              <dt>{t('app.versionLabel')}</dt>
              <dd data-testid="diag-version">{d.version}</dd>
              <dt>{t('ui.diag.platform')}</dt>
              <dd>{d.platform}</dd>
              <dt>{t('ui.diag.runtime')}</dt>
              <dd>{d.runtime}</dd>
              <dt>{t('ui.diag.dataDir')}</dt>
              <dd className="mono">{d.dataDir}</dd>
              <dt>{t('ui.diag.syncBackend')}</dt>
              <dd>{t(d.syncBackend === 'sync-engine' ? 'ui.diag.syncEngine' : 'ui.diag.httpAdapter')}</dd>
              <dt>{t('ui.diag.ranAt')}</dt>
              <dd>{formatDate(d.ranAt, locale, true)}</dd>
            </dl>
          </section>
          <section className="card">
            <h3>{t('ui.diag.reach')}</h3>
            <table className="table small" data-testid="diag-checks">
              <tbody>
                {d.checks.map((c) => (
                  <tr key={c.id}>
                    <th scope="row">{t(`ui.diag.check.${c.id}`)}</th>
                    <td
                      className={
                        c.ok ? 'good' : c.detail === 'not-configured' || c.detail === 'offline-mode' ? 'muted' : 'error'
                      }
                    >
                      {c.ok
                        ? `✓ ${t('ui.diag.ok')}`
                        : c.detail === 'not-configured'
                          ? t('ui.diag.notConfigured')
                          : c.detail === 'offline-mode'
                            ? t('ui.diag.offlineMode')
                            : `✗ ${t('ui.diag.unreachable')}`}
                    </td>
                    <td className="mono">{c.url || '—'}</td>
                    <td>
                      {c.ms !== null
                        ? `${c.ms} ms`
                        : c.detail !== 'not-configured' && c.detail !== 'offline-mode'
                          ? c.detail
                          : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="card wide">
            <h3>{t('ui.diag.drivers')}</h3>
            {d.modules.length === 0 ? (
              <p className="muted small">{t('error.noModule')}</p>
            ) : (
              <table className="table small" data-testid="diag-modules">
                <thead>
                  <tr>
                    <th>{t('tokens.module')}</th>
                    <th>{t('ui.diag.source')}</th>
                    <th>{t('ui.diag.state')}</th>
                    <th>{t('ui.diag.tokens')}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.modules.map((m) => (
                    <tr key={m.path}>
                      <td className="mono">{m.path}</td>
                      <td>{t(`ui.diag.source.${m.source}`)}</td>
                      <td className={m.loaded ? 'good' : 'error'}>
                        {m.loaded ? `✓ ${m.library?.description ?? ''} ${m.library?.version ?? ''}` : err(m.error)}
                      </td>
                      <td>
                        {m.tokens.filter((x) => x.label).length === 0
                          ? t('tokens.noToken')
                          : m.tokens
                              .filter((x) => x.label)
                              .map(
                                (x) =>
                                  `${x.label} (${x.serialNumber}, ${t('ui.diag.certs', { n: x.certificates.length })})`,
                              )
                              .join('; ')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </div>
      )}
    </section>
  );
}
