import { useEffect, useState } from 'react';
import type { KysoApi } from '../../src-shared/api/contract';
import type { OutboxEntry, SyncStatus } from '../../src-shared/api/ui-types';
import { blobUrl } from '../api-client';
import { useI18n } from '../i18n';
import { formatDate } from '../lib/format';

interface Props {
  api: KysoApi;
  sync: SyncStatus | null;
  /** Bumped on every outbox event. */
  tick: number;
  onSyncNow(): void;
}

/** Signed files on their way to the server: pending, uploaded, and conflicts with what to do. */
export function OutboxScreen({ api, sync, tick, onSyncNow }: Props) {
  const { t, err, bi, locale } = useI18n();
  const [entries, setEntries] = useState<OutboxEntry[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api['outbox.list']({}).then(
      (r) => setEntries(r.entries),
      (e: unknown) => setError(err(e)),
    );
  }, [api, tick, err]);

  const pending = entries.filter((e) => e.state === 'pending' || e.state === 'uploading');
  const conflicts = entries.filter((e) => e.state === 'conflict');
  const uploaded = entries.filter((e) => e.state === 'uploaded');

  const row = (e: OutboxEntry) => (
    <li key={e.id} className={`outbox-row state-${e.state}`} data-testid="outbox-entry" data-state={e.state}>
      <div>
        <strong>{e.title}</strong>
        <div className="small muted">
          {t(`ui.action.${e.action}`)} · {e.level} ·{' '}
          {t('ui.outbox.signedAt', { time: formatDate(e.createdAt, locale, true) })}
          {e.attempts > 0 ? ` · ${t('ui.outbox.attempts', { n: e.attempts })}` : ''}
          {e.uploadedAt
            ? ` · ${t('ui.outbox.uploadedAt', { time: formatDate(e.uploadedAt, locale, true), version: e.uploadedVersion ?? '' })}`
            : ''}
        </div>
        {e.problem && (
          <div className={e.state === 'conflict' ? 'conflict' : 'warn'} data-testid="outbox-problem">
            <div>
              <strong>{t('ui.outbox.serverSaid')}</strong> {bi(e.problem.message)}{' '}
              <span className="muted small">({e.problem.code})</span>
            </div>
            <div className="small">{t(`ui.advice.${e.problem.advice}`)}</div>
          </div>
        )}
      </div>
      <div className="row-actions">
        {e.blobId && (
          <a className="button ghost" href={blobUrl(e.blobId, true)} download>
            {t('ui.outbox.file')}
          </a>
        )}
        {e.state === 'pending' && (
          <button
            type="button"
            onClick={() => void api['outbox.retry']({ id: e.id }).catch((x: unknown) => setError(err(x)))}
          >
            {t('ui.outbox.retry')}
          </button>
        )}
        {e.state !== 'uploading' && (
          <button
            type="button"
            className="ghost"
            onClick={() => {
              if (e.state === 'uploaded' || window.confirm(t('ui.outbox.discardConfirm'))) {
                void api['outbox.discard']({ id: e.id }).then(
                  (r) => setEntries(r.entries),
                  (x: unknown) => setError(err(x)),
                );
              }
            }}
          >
            {t(e.state === 'uploaded' ? 'ui.outbox.clear' : 'ui.outbox.discard')}
          </button>
        )}
      </div>
    </li>
  );

  return (
    <section className="outbox" aria-labelledby="outbox-h">
      <div className="screen-head">
        <h2 id="outbox-h">{t('ui.outbox.title')}</h2>
        <span className="small muted" data-testid="outbox-sync">
          {t(`ui.sync.state.${sync?.state ?? 'signed-out'}`)}
          {sync?.lastSyncAt ? ` · ${t('ui.sync.last', { time: formatDate(sync.lastSyncAt, locale, true) })}` : ''}
          {sync?.lastError ? ` · ${err(sync.lastError)}` : ''}
        </span>
        <button type="button" onClick={onSyncNow} data-testid="sync-now">
          {t('ui.sync.now')}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="outbox-sections">
        <section aria-labelledby="ob-pending">
          <h3 id="ob-pending">
            {t('ui.outbox.pending')} <span className="count">{pending.length}</span>
          </h3>
          {pending.length === 0 ? (
            <p className="muted small">{t('ui.outbox.nonePending')}</p>
          ) : (
            <ul className="outbox-list">{pending.map(row)}</ul>
          )}
        </section>
        <section aria-labelledby="ob-conflicts">
          <h3 id="ob-conflicts">
            {t('ui.outbox.conflicts')} <span className="count">{conflicts.length}</span>
          </h3>
          {conflicts.length === 0 ? (
            <p className="muted small">{t('ui.outbox.noneConflicts')}</p>
          ) : (
            <ul className="outbox-list">{conflicts.map(row)}</ul>
          )}
        </section>
        <section aria-labelledby="ob-uploaded">
          <h3 id="ob-uploaded">
            {t('ui.outbox.uploaded')} <span className="count">{uploaded.length}</span>
          </h3>
          {uploaded.length === 0 ? (
            <p className="muted small">{t('ui.outbox.noneUploaded')}</p>
          ) : (
            <ul className="outbox-list">{uploaded.map(row)}</ul>
          )}
        </section>
      </div>
    </section>
  );
}
