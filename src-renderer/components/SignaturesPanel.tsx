import type { SignatureReport, VerifyReport } from '../../src-shared/api/verify-types';
import { useI18n } from '../i18n';
import { formatDate } from '../lib/format';

export type Verdict = 'passed' | 'failed' | 'indeterminate' | 'none';

/** The file's overall verdict: failed if anything failed, passed only if every signature passed. */
export function verdictOf(r: VerifyReport): Verdict {
  if (r.fileError) return 'failed';
  if (r.signatures.length === 0) return 'none';
  if (r.signatures.some((s) => s.indication === 'TOTAL-FAILED')) return 'failed';
  if (r.signatures.every((s) => s.indication === 'TOTAL-PASSED')) return 'passed';
  return 'indeterminate';
}

const IND: Record<SignatureReport['indication'], 'passed' | 'failed' | 'indeterminate'> = {
  'TOTAL-PASSED': 'passed',
  'TOTAL-FAILED': 'failed',
  INDETERMINATE: 'indeterminate',
};
const MARK = { passed: '✓', failed: '✗', indeterminate: '?', none: '–' } as const;

export function VerdictBanner({ report }: { report: VerifyReport }) {
  const { t } = useI18n();
  const v = verdictOf(report);
  return (
    <div className={`verdict verdict-${v}`} role="status" data-testid="verdict" data-verdict={v}>
      <span className="verdict-mark" aria-hidden="true">
        {MARK[v]}
      </span>
      <div>
        <strong>{t(`ui.verdict.${v}`)}</strong>
        <div className="small">{t('ui.verify.signatureCount', { n: report.signatures.length })}</div>
      </div>
    </div>
  );
}

/** Every existing signature with its verification result, reasons in the chosen language. */
export function SignaturesPanel({ report }: { report: VerifyReport | null }) {
  const { t, locale, bi } = useI18n();
  if (!report) return <p className="muted small">{t('ui.verify.checking')}</p>;
  return (
    <div className="sig-panel" data-testid="signatures-panel">
      <VerdictBanner report={report} />
      {report.fileError && (
        <p className="error" role="alert">
          {bi(report.fileError)}
        </p>
      )}
      {report.warnings.map((w, i) => (
        <p key={i} className={w.severity === 'error' ? 'error' : 'warn'}>
          {bi(w)}
        </p>
      ))}
      <ol className="sig-list">
        {report.signatures.map((s) => {
          const ind = IND[s.indication];
          return (
            <li key={s.field} className={`sig sig-${ind}`} data-testid="signature" data-indication={s.indication}>
              <div className="sig-head">
                <span className={`badge badge-${ind === 'passed' ? 'good' : ind === 'failed' ? 'bad' : 'warn'}`}>
                  {MARK[ind]} {t(`ui.indication.${ind}`)}
                </span>
                <span className="small muted">
                  {s.kind === 'document-timestamp' ? t('ui.sig.docTimestamp') : (s.level ?? t('ui.sig.signature'))} ·{' '}
                  {s.field}
                </span>
              </div>
              {s.signer && (
                <div className="sig-signer">
                  <strong>{s.signer.commonName}</strong>
                  {s.signer.title ? `, ${s.signer.title}` : ''}
                  {s.signer.organization ? <div className="small">{s.signer.organization}</div> : null}
                  <div className="small muted">
                    {t(s.signer.kind === 'organisation' ? 'ui.sig.organisationCert' : 'ui.sig.personalCert')} ·{' '}
                    {t('ui.sig.issuer', { issuer: s.signer.issuer })}
                  </div>
                </div>
              )}
              <dl className="facts small">
                <dt>{t('ui.sig.time')}</dt>
                <dd>
                  {s.signingTime ? formatDate(s.signingTime, locale, true) : '—'}{' '}
                  <span className="muted">({t(`ui.sig.timeSource.${s.signingTimeSource}`)})</span>
                </dd>
                <dt>{t('ui.sig.coverage')}</dt>
                <dd>{t(`ui.sig.coverage.${s.coverage}`)}</dd>
                <dt>{t('ui.sig.after')}</dt>
                <dd data-testid="sig-modifications">
                  {t(`ui.sig.mod.${s.modifications.level}`)}
                  {s.modifications.objects.length > 0 && (
                    <ul className="mods">
                      {s.modifications.objects.slice(0, 8).map((o, i) => (
                        <li key={i}>
                          {o.object}: {o.what}
                        </li>
                      ))}
                    </ul>
                  )}
                </dd>
                {s.trustAnchor && (
                  <>
                    <dt>{t('ui.sig.anchor')}</dt>
                    <dd>{s.trustAnchor}</dd>
                  </>
                )}
                {s.timestamp && (
                  <>
                    <dt>{t('ui.sig.timestamp')}</dt>
                    <dd>
                      {formatDate(s.timestamp.time, locale, true)} · {s.timestamp.tsa}
                      {s.timestamp.valid ? '' : ` (${t('ui.sig.timestampInvalid')})`}
                    </dd>
                  </>
                )}
              </dl>
              {s.reasons.length > 0 && (
                <ul className="reasons" data-testid="sig-reasons">
                  {s.reasons.map((r, i) => (
                    <li key={i} className={`reason-${r.severity}`}>
                      {bi(r)}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
