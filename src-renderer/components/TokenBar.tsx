import type { SessionState, SyncStatus, TokenState } from '../../src-shared/api/ui-types';
import type { Locale } from '../../src-shared/i18n/messages';
import { useI18n } from '../i18n';
import { daysLeft, expiryState, formatDate } from '../lib/format';
import { activeChoice, pinLevel, presentTokens, signingCertificates } from '../lib/tokens';

interface Props {
  tokens: TokenState | null;
  session: SessionState | null;
  sync: SyncStatus | null;
  certId: string | null;
  onCert(id: string): void;
  onSyncNow(): void;
  onLogout(): void;
  onLocale(l: Locale): void;
}

/** The strip at the top: the token (live), its holder and PIN state; the server session; language. */
export function TokenBar(p: Props) {
  const { t, locale } = useI18n();
  const present = presentTokens(p.tokens);
  const choice = activeChoice(p.tokens, p.certId, p.session?.certificateSha256 ?? null);
  const all = signingCertificates(p.tokens);
  const now = Date.now();
  const exp = choice ? expiryState(choice.cert.notAfter, now) : 'ok';
  const pl = choice ? pinLevel(choice.token.pin) : null;
  const syncState = p.sync?.state ?? 'signed-out';

  return (
    <header className="topbar" data-testid="token-bar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          KS
        </span>
        <h1>{t('app.title')}</h1>
      </div>

      <section className="token" aria-label={t('ui.token.region')} data-testid="token-status">
        {present.length === 0 ? (
          <span className="token-absent">
            <span className="dot dot-off" aria-hidden="true" />
            {t('token.none')}
          </span>
        ) : choice ? (
          <>
            <span className="dot dot-on" aria-hidden="true" />
            <div className="holder">
              <strong data-testid="token-holder">{choice.cert.subject.commonName}</strong>
              <span className="muted small">
                {[choice.cert.subject.title, choice.cert.subject.organization].filter(Boolean).join(' · ') ||
                  t(choice.cert.kind === 'organisation' ? 'tokens.cert.organisation' : 'tokens.cert.personal')}
              </span>
            </div>
            <div className="token-badges">
              <span
                className={`badge ${exp === 'ok' ? 'badge-plain' : exp === 'soon' ? 'badge-warn' : 'badge-bad'}`}
                data-testid="cert-expiry"
                title={t('tokens.cert.validity')}
              >
                {exp === 'expired'
                  ? t('ui.token.expired', { date: formatDate(choice.cert.notAfter, locale) })
                  : exp === 'soon'
                    ? t('ui.token.expiresSoon', { days: daysLeft(choice.cert.notAfter, now) })
                    : t('ui.token.validUntil', { date: formatDate(choice.cert.notAfter, locale) })}
              </span>
              {pl && (
                <span
                  className={`badge ${pl === 'ok' || pl === 'pad' ? 'badge-plain' : pl === 'countLow' ? 'badge-warn' : 'badge-bad'}`}
                  data-testid="pin-state"
                >
                  {t(`ui.pin.${pl}`)}
                </span>
              )}
            </div>
            {all.length > 1 && (
              <select
                aria-label={t('ui.token.chooseCert')}
                value={choice.cert.id}
                onChange={(e) => p.onCert(e.target.value)}
                data-testid="cert-select"
              >
                {all.map((c) => (
                  <option key={`${c.token.serialNumber}-${c.cert.id}`} value={c.cert.id}>
                    {c.cert.subject.commonName} (
                    {t(c.cert.kind === 'organisation' ? 'tokens.cert.organisation' : 'tokens.cert.personal')})
                  </option>
                ))}
              </select>
            )}
          </>
        ) : (
          <span className="token-absent">
            <span className="dot dot-warn" aria-hidden="true" />
            {t('ui.token.noUsableCert', { label: present[0]!.label })}
          </span>
        )}
      </section>

      <section className="session" aria-label={t('ui.session.region')}>
        {p.session?.user ? (
          <>
            {/* Shown when the server account is not simply the token's holder (a clerk with the seal). */}
            {p.session.user.fullName !== choice?.cert.subject.commonName && (
              <span className="small session-user" data-testid="session-user" title={p.session.user.fullName}>
                {p.session.user.fullName}
                {p.session.user.role && <span className="muted"> · {t(`ui.role.${p.session.user.role}`)}</span>}
              </span>
            )}
            <button
              type="button"
              className={`badge-button sync-${syncState}`}
              onClick={p.onSyncNow}
              title={`${p.session.user.fullName}${p.session.user.role ? ` (${t(`ui.role.${p.session.user.role}`)})` : ''} — ${t('ui.sync.now')}`}
              data-testid="sync-state"
            >
              {t(`ui.sync.state.${syncState}`)}
              {p.sync && p.sync.pendingUploads > 0 ? ` · ${t('ui.sync.pending', { n: p.sync.pendingUploads })}` : ''}
            </button>
            <button type="button" className="ghost" onClick={p.onLogout} data-testid="logout">
              {t('ui.session.logout')}
            </button>
          </>
        ) : (
          <span className="muted small">{t('ui.session.signedOut')}</span>
        )}
      </section>

      <label className="lang">
        <span className="visually-hidden">{t('app.language')}</span>
        <select
          aria-label={t('app.language')}
          value={locale}
          onChange={(e) => p.onLocale(e.target.value === 'en' ? 'en' : 'vi')}
        >
          <option value="vi">Tiếng Việt</option>
          <option value="en">English</option>
        </select>
      </label>
    </header>
  );
}
