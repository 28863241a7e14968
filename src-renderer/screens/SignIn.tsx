import { useState } from 'react';
import type { KysoApi } from '../../src-shared/api/contract';
import type { SessionState } from '../../src-shared/api/ui-types';
import { useI18n } from '../i18n';
import { pinLevel, type CertChoice } from '../lib/tokens';

interface Props {
  api: KysoApi;
  serverUrl: string;
  choice: CertChoice | null;
  onSignedIn(s: SessionState): void;
  onSettings(): void;
}

/** Sign in to the workflow server with the token (its certificate signs the server's challenge) or a password. */
export function SignIn({ api, serverUrl, choice, onSignedIn, onSettings }: Props) {
  const { t, err } = useI18n();
  const [pin, setPin] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const level = choice ? pinLevel(choice.token.pin) : null;

  if (!serverUrl) {
    return (
      <section className="card signin" aria-labelledby="signin-h">
        <h2 id="signin-h">{t('nav.queue')}</h2>
        <p className="muted">{t('queue.notConfigured')}</p>
        <button type="button" className="primary" onClick={onSettings}>
          {t('ui.signin.openSettings')}
        </button>
      </section>
    );
  }

  const withToken = async (): Promise<void> => {
    if (!choice) return;
    const typed = pin;
    setPin('');
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api['session.loginToken']({ certId: choice.cert.id, pin: level === 'pad' ? null : typed }));
    } catch (e) {
      setError(err(e));
    } finally {
      setBusy(false);
    }
  };
  const withPassword = async (): Promise<void> => {
    const pw = password;
    setPassword('');
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api['session.loginPassword']({ username: user.trim(), password: pw }));
    } catch (e) {
      setError(err(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card signin" aria-labelledby="signin-h" data-testid="signin">
      <h2 id="signin-h">{t('ui.signin.title')}</h2>
      <p className="small muted">{t('ui.signin.server', { url: serverUrl })}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void withToken();
        }}
      >
        <h3>{t('ui.signin.withToken')}</h3>
        {choice ? (
          <p className="small">
            {t('ui.signin.cert', { name: choice.cert.subject.commonName, token: choice.token.label })}
          </p>
        ) : (
          <p className="warn">{t('token.none')}</p>
        )}
        {level === 'locked' ? (
          <p className="error">{t('ui.sign.locked')}</p>
        ) : level === 'pad' ? (
          <p className="warn">{t('ui.sign.pinPad')}</p>
        ) : (
          <label className="field">
            <span>{t('ui.sign.pin')}</span>
            <input
              type="password"
              inputMode="numeric"
              autoComplete="off"
              value={pin}
              onChange={(e) => setPin(e.target.value)}
              disabled={!choice}
              data-testid="signin-pin"
            />
          </label>
        )}
        {level === 'finalTry' && <p className="error">{t('ui.sign.finalTry')}</p>}
        <button
          type="submit"
          className="primary"
          disabled={!choice || busy || level === 'locked' || (level !== 'pad' && !pin)}
          data-testid="signin-token"
        >
          {busy ? t('ui.sign.loggingIn') : t('ui.signin.tokenButton')}
        </button>
      </form>
      <details>
        <summary>{t('ui.signin.withPassword')}</summary>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void withPassword();
          }}
        >
          <label className="field">
            <span>{t('ui.signin.username')}</span>
            <input
              value={user}
              onChange={(e) => setUser(e.target.value)}
              autoComplete="username"
              data-testid="signin-user"
            />
          </label>
          <label className="field">
            <span>{t('ui.signin.password')}</span>
            <input
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="current-password"
              data-testid="signin-password"
            />
          </label>
          <button type="submit" disabled={busy || !user || !password} data-testid="signin-password-submit">
            {t('ui.signin.passwordButton')}
          </button>
        </form>
      </details>
      {error && (
        <p className="error" role="alert" data-testid="signin-error">
          {error}
        </p>
      )}
    </section>
  );
}
