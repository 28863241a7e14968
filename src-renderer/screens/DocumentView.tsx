import { useEffect, useState } from 'react';
import type { KysoApi } from '../../src-shared/api/contract';
import {
  COPY_TYPE_NAMES,
  PROFILE_FOR_ACTION,
  type IssuedNumber,
  type OpenedDocument,
  type Placement,
  type Rect,
  type SignItem,
} from '../../src-shared/api/ui-types';
import type { VerifyReport } from '../../src-shared/api/verify-types';
import { blobUrl } from '../api-client';
import { PdfViewer } from '../components/PdfViewer';
import { SignaturesPanel } from '../components/SignaturesPanel';
import { useI18n } from '../i18n';
import { formatDate } from '../lib/format';

interface Props {
  api: KysoApi;
  assignmentId: number;
  certId: string | null;
  onBack(): void;
  onSign(items: SignItem[]): void;
}

export function DocumentView({ api, assignmentId, certId, onBack, onSign }: Props) {
  const { t, err, locale } = useI18n();
  const [doc, setDoc] = useState<OpenedDocument | null>(null);
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [placement, setPlacement] = useState<Placement | null>(null);
  const [moved, setMoved] = useState<Rect | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [copyType, setCopyType] = useState<(typeof COPY_TYPE_NAMES)[number]>('SAO Y');
  const [issued, setIssued] = useState<IssuedNumber | null>(null);
  const [returning, setReturning] = useState(false);
  const [returnText, setReturnText] = useState('');
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setDoc(null);
    setReport(null);
    setPlacement(null);
    setMoved(null);
    setError(null);
    api['document.open']({ assignmentId }).then(
      (d) => {
        if (!live) return;
        setDoc(d);
        api['document.verify']({ blobId: d.blobId }).then(
          (r) => live && setReport(r),
          (e: unknown) => live && setError(err(e)),
        );
      },
      (e: unknown) => live && setError(err(e)),
    );
    return () => {
      live = false;
    };
  }, [api, assignmentId, err]);

  useEffect(() => {
    let live = true;
    if (!doc) return;
    api['document.placement']({ assignmentId, ...(certId ? { certId } : {}) }).then(
      (p) => live && setPlacement(p),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, assignmentId, certId, doc]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && !document.querySelector('[role="dialog"]')) onBack();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onBack]);

  const item = doc?.item;
  const recalled = item?.status === '13';
  const busy = item ? item.local === 'pending-upload' || item.local === 'uploaded' : false;
  const stampRect = moved ?? placement?.rect ?? null;

  const sign = (): void => {
    if (!item) return;
    const it: SignItem = { assignmentId, profile: PROFILE_FOR_ACTION[item.action] };
    // A position the user chose, or the box shown when the role found no place of its own.
    if (placement && (moved || placement.source !== 'role')) {
      it.rect = moved ?? placement.rect;
      it.pageIndex = placement.pageIndex;
    }
    if (item.action === 'directive') it.comment = comment.trim();
    if (item.action === 'copy') it.copyType = copyType;
    onSign([it]);
  };

  const primaryLabel = item ? t(`ui.doc.primary.${item.action}`) : '';
  const canSign = !!item && !recalled && !busy && (item.action !== 'directive' || comment.trim().length > 0);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && canSign && !document.querySelector('[role="dialog"]')) {
        e.preventDefault();
        sign();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <section className="document" aria-labelledby="doc-h">
      <div className="doc-head">
        <button type="button" className="ghost" onClick={onBack} data-testid="doc-back">
          ← {t('ui.doc.back')}
        </button>
        <div className="doc-title">
          <h2 id="doc-h">{item?.title ?? t('ui.viewer.loading')}</h2>
          {item && (
            <span className="small muted">
              {item.notation ?? item.docType} · {item.sender.name} · {t('ui.doc.due')}: {formatDate(item.dueAt, locale)}{' '}
              · {t(`ui.action.${item.action}`)}
            </span>
          )}
        </div>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="doc-body">
        <div className="doc-viewer">
          {doc && (
            <PdfViewer
              url={blobUrl(doc.blobId)}
              stamp={
                placement && stampRect && !recalled
                  ? {
                      pageIndex: placement.pageIndex,
                      rect: stampRect,
                      label: t('ui.doc.stampHere'),
                      onMove: setMoved,
                    }
                  : null
              }
            />
          )}
        </div>
        <aside className="doc-side" aria-label={t('ui.doc.panel')}>
          {item && (
            <section className="card actions" aria-labelledby="act-h" data-testid="doc-actions">
              <h3 id="act-h">{t('ui.doc.actions')}</h3>
              {recalled ? (
                <p className="error" role="alert">
                  {t('ui.doc.recalled', { reason: item.recallReason ?? '' })}
                </p>
              ) : busy ? (
                <p className="warn">
                  {t(item.local === 'uploaded' ? 'ui.doc.alreadyUploaded' : 'ui.doc.alreadySigned')}
                </p>
              ) : (
                <>
                  {placement && (
                    <p className="small muted" data-testid="stamp-info">
                      {t(
                        placement.source === 'role'
                          ? 'ui.doc.stampRole'
                          : placement.source === 'fallback'
                            ? 'ui.doc.stampFallback'
                            : 'ui.doc.stampDefault',
                        {
                          page: placement.pageIndex + 1,
                        },
                      )}
                      {moved ? ` ${t('ui.doc.stampMoved')}` : ''}
                    </p>
                  )}
                  {placement?.warnings
                    .filter((w) => w.code !== 'anchor-missing')
                    .map((w, i) => (
                      <p key={i} className="warn small">
                        {err(w)}
                      </p>
                    ))}
                  {item.action === 'issue' && (
                    <div className="issue-number">
                      <button
                        type="button"
                        onClick={() =>
                          api['document.issueNumber']({ assignmentId }).then(setIssued, (e: unknown) =>
                            setNotice(err(e)),
                          )
                        }
                        data-testid="issue-number"
                      >
                        {t('ui.doc.getNumber')}
                      </button>
                      {issued && (
                        <p className="good" data-testid="issued-number">
                          {t('ui.doc.issued', {
                            notation: issued.notation,
                            date: formatDate(issued.issuedDate, locale),
                          })}
                        </p>
                      )}
                    </div>
                  )}
                  {item.action === 'copy' && (
                    <label className="field">
                      <span>{t('ui.doc.copyType')}</span>
                      <select
                        value={copyType}
                        onChange={(e) => setCopyType(e.target.value as (typeof COPY_TYPE_NAMES)[number])}
                      >
                        {COPY_TYPE_NAMES.map((c) => (
                          <option key={c} value={c}>
                            {c}
                          </option>
                        ))}
                      </select>
                    </label>
                  )}
                  {item.action === 'directive' && (
                    <label className="field">
                      <span>{t('ui.doc.directiveText')}</span>
                      <textarea
                        rows={4}
                        value={comment}
                        onChange={(e) => setComment(e.target.value)}
                        placeholder={t('ui.doc.directivePlaceholder')}
                        data-testid="directive-text"
                      />
                    </label>
                  )}
                  <button
                    type="button"
                    className="primary wide"
                    disabled={!canSign}
                    onClick={sign}
                    data-testid="primary-action"
                    title="Ctrl+Enter"
                  >
                    {primaryLabel}
                  </button>
                  <details open={returning} onToggle={(e) => setReturning(e.currentTarget.open)}>
                    <summary>{t('ui.doc.return')}</summary>
                    <label className="field">
                      <span>{t('ui.doc.returnComment')}</span>
                      <textarea rows={3} value={returnText} onChange={(e) => setReturnText(e.target.value)} />
                    </label>
                    <button
                      type="button"
                      disabled={returnText.trim().length === 0}
                      onClick={() =>
                        api['document.return']({ assignmentId, comment: returnText.trim() }).then(
                          () => setNotice(t('ui.doc.returned')),
                          (e: unknown) => setNotice(err(e)),
                        )
                      }
                    >
                      {t('ui.doc.returnSend')}
                    </button>
                  </details>
                  {notice && (
                    <p className="warn small" role="status">
                      {notice}
                    </p>
                  )}
                </>
              )}
            </section>
          )}
          <section className="card" aria-labelledby="sig-h">
            <h3 id="sig-h">{t('ui.doc.signatures', { n: report?.signatures.length ?? 0 })}</h3>
            <SignaturesPanel report={report} />
          </section>
        </aside>
      </div>
    </section>
  );
}
