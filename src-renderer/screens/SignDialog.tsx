import { useEffect, useRef, useState } from 'react';
import type { KysoApi } from '../../src-shared/api/contract';
import type { BatchState, SignItem } from '../../src-shared/api/ui-types';
import { useI18n } from '../i18n';
import { pinLevel, type CertChoice } from '../lib/tokens';

interface Props {
  api: KysoApi;
  items: SignItem[];
  titles: ReadonlyMap<number, string>;
  choice: CertChoice | null;
  /** The latest 'batch' event from the service. */
  batchEvent: BatchState | null;
  onClose(): void;
}

const STATUS_MARK: Record<BatchState['results'][number]['status'], string> = {
  waiting: '·',
  signing: '…',
  signed: '✓',
  uploaded: '✓',
  failed: '✗',
  cancelled: '–',
};

/**
 * PIN entry (or the PIN pad prompt) with the tries state from the token, then the batch's
 * progress and per-document results. The PIN leaves this component only inside sign.start and is
 * cleared from its state before the call returns.
 */
export function SignDialog({ api, items, titles, choice, batchEvent, onClose }: Props) {
  const { t, err } = useI18n();
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [errorCode, setErrorCode] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [batch, setBatch] = useState<BatchState | null>(null);
  const pinRef = useRef<HTMLInputElement>(null);
  const dialogRef = useRef<HTMLDivElement>(null);

  const level = choice ? pinLevel(choice.token.pin) : null;
  const locked = level === 'locked' || errorCode === 'PIN_LOCKED';
  const pinPad = level === 'pad';
  const running = batch?.state === 'running';
  const finished = !!batch && !running;

  useEffect(() => {
    if (batchEvent && batch && batchEvent.batchId === batch.batchId) setBatch(batchEvent);
  }, [batchEvent]);

  // Events are the fast path; a slow poll covers a dropped event stream.
  useEffect(() => {
    if (!batch || batch.state !== 'running') return;
    const id = batch.batchId;
    const timer = setInterval(() => {
      api['sign.status']({ batchId: id }).then(
        (s) => setBatch((b) => (b && b.batchId === id && s.done >= b.done ? s : b)),
        () => undefined,
      );
    }, 1000);
    return () => clearInterval(timer);
  }, [api, batch?.batchId, batch?.state]);

  useEffect(() => {
    pinRef.current?.focus();
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && !running && !submitting) {
        e.preventDefault();
        onClose();
      }
      if (e.key === 'Tab' && dialogRef.current) {
        // Keep focus inside the dialog.
        const f = [...dialogRef.current.querySelectorAll<HTMLElement>('button, input, [tabindex="0"]')].filter(
          (x) => !x.hasAttribute('disabled'),
        );
        if (f.length === 0) return;
        const first = f[0]!;
        const last = f[f.length - 1]!;
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [running, submitting, onClose]);

  const submit = async (): Promise<void> => {
    if (!choice || locked || submitting) return;
    const typed = pin;
    setPin('');
    setSubmitting(true);
    setError(null);
    setErrorCode(null);
    try {
      const b = await api['sign.start']({ items, certId: choice.cert.id, pin: pinPad ? null : typed });
      setBatch(b);
    } catch (e) {
      setError(err(e));
      setErrorCode((e as { code?: string }).code ?? null);
      requestAnimationFrame(() => pinRef.current?.focus());
    } finally {
      setSubmitting(false);
    }
  };

  const total = batch?.total ?? items.length;
  const done = batch?.done ?? 0;
  const okCount = batch?.results.filter((r) => r.status === 'signed' || r.status === 'uploaded').length ?? 0;

  return (
    <div className="modal-backdrop">
      <div
        ref={dialogRef}
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="sign-h"
        data-testid="sign-dialog"
      >
        <h2 id="sign-h">{t('ui.sign.title', { n: items.length })}</h2>
        {choice ? (
          <p className="small">
            {t('ui.sign.with', {
              name: choice.cert.subject.commonName,
              kind: t(choice.cert.kind === 'organisation' ? 'tokens.cert.organisation' : 'tokens.cert.personal'),
              token: choice.token.label,
            })}
          </p>
        ) : (
          <p className="error" role="alert">
            {t('token.none')}
          </p>
        )}

        {!batch && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            {items.length > 1 && (
              <ul className="sign-items small">
                {items.slice(0, 6).map((it) => (
                  <li key={it.assignmentId}>{titles.get(it.assignmentId) ?? it.assignmentId}</li>
                ))}
                {items.length > 6 && <li className="muted">{t('ui.sign.andMore', { n: items.length - 6 })}</li>}
              </ul>
            )}
            {locked ? (
              <p className="error" role="alert" data-testid="pin-locked">
                {t('ui.sign.locked')}
              </p>
            ) : pinPad ? (
              <p className="warn" data-testid="pin-pad">
                {t('ui.sign.pinPad')}
              </p>
            ) : (
              <label className="field">
                <span>{t('ui.sign.pin')}</span>
                <input
                  ref={pinRef}
                  type="password"
                  inputMode="numeric"
                  autoComplete="off"
                  value={pin}
                  onChange={(e) => setPin(e.target.value)}
                  maxLength={64}
                  aria-describedby="pin-help"
                  data-testid="pin-input"
                />
              </label>
            )}
            {/* The state from the token flags; after a failed try the error below already says it. */}
            {!locked && !error && level === 'finalTry' && (
              <p className="error" id="pin-help" role="alert" data-testid="pin-final">
                {t('ui.sign.finalTry')}
              </p>
            )}
            {!locked && !error && level === 'countLow' && (
              <p className="warn" id="pin-help" data-testid="pin-low">
                {t('ui.sign.countLow')}
              </p>
            )}
            {error && !locked && (
              <p className="error" role="alert" data-testid="sign-error">
                {error}
              </p>
            )}
            <div className="modal-actions">
              <button type="button" className="ghost" onClick={onClose} disabled={submitting}>
                {t('ui.common.cancel')}
              </button>
              <button
                type="submit"
                className="primary"
                disabled={!choice || locked || submitting || (!pinPad && pin.length === 0)}
                data-testid="sign-submit"
              >
                {submitting ? t('ui.sign.loggingIn') : t('ui.sign.submit', { n: items.length })}
              </button>
            </div>
          </form>
        )}

        {batch && (
          <div className="batch" data-testid="batch" data-state={batch.state}>
            <div
              className="progress"
              role="progressbar"
              aria-valuemin={0}
              aria-valuemax={total}
              aria-valuenow={done}
              aria-label={t('ui.sign.progress')}
            >
              <div className="progress-fill" style={{ width: `${total ? (done / total) * 100 : 0}%` }} />
            </div>
            <p className="small" aria-live="polite" data-testid="batch-progress">
              {t('ui.sign.progressText', { done, total })}
            </p>
            {batch.stopError && (
              <p className="error" role="alert" data-testid="batch-stopped">
                {t('ui.sign.stopped', { reason: err(batch.stopError) })}
              </p>
            )}
            {finished && !batch.stopError && (
              <p className={okCount === total ? 'good' : 'warn'} role="status" data-testid="batch-summary">
                {batch.state === 'cancelled'
                  ? t('ui.sign.cancelled', { ok: okCount, total })
                  : t('ui.sign.summary', { ok: okCount, total })}
              </p>
            )}
            <ol className="results">
              {batch.results.map((r) => (
                <li
                  key={r.assignmentId}
                  className={`result result-${r.status}`}
                  data-testid="batch-result"
                  data-status={r.status}
                >
                  <span className="mark" aria-hidden="true">
                    {STATUS_MARK[r.status]}
                  </span>
                  <span className="result-title">{r.title}</span>
                  <span className="small">
                    {t(`ui.sign.status.${r.status}`)}
                    {r.level ? ` · ${r.level}` : ''}
                    {r.notation ? ` · ${t('ui.sign.number', { notation: r.notation })}` : ''}
                  </span>
                  {r.error && <span className="small error">{err(r.error)}</span>}
                  {r.warnings.map((w, i) => (
                    <span key={i} className="small warn">
                      {err(w)}
                    </span>
                  ))}
                </li>
              ))}
            </ol>
            <div className="modal-actions">
              {running ? (
                <button
                  type="button"
                  onClick={() => void api['sign.cancel']({ batchId: batch.batchId })}
                  data-testid="batch-cancel"
                >
                  {t('ui.sign.cancel')}
                </button>
              ) : (
                <button type="button" className="primary" onClick={onClose} data-testid="batch-close">
                  {t('ui.common.close')}
                </button>
              )}
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
