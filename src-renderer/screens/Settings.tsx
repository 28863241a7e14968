import { useEffect, useRef, useState } from 'react';
import type { KysoApi } from '../../src-shared/api/contract';
import {
  PADES_LEVEL_NAMES,
  type ImageInfo,
  type SettingKey,
  type Settings,
  type SettingsPatch,
  type SettingsPolicy,
} from '../../src-shared/api/ui-types';
import type { Locale } from '../../src-shared/i18n/messages';
import { blobUrl, uploadFile } from '../api-client';
import { useI18n } from '../i18n';

interface Props {
  api: KysoApi;
  onLocale(l: Locale): void;
}

/** "Set by your IT department": shown beside every setting the enterprise preset locks. */
function LockedHint({ k, policy }: { k: SettingKey; policy: SettingsPolicy }) {
  const { t } = useI18n();
  if (!policy.locked.includes(k)) return null;
  return (
    <span className="badge badge-plain locked-hint" data-testid={`locked-${k}`}>
      {t('ui.settings.lockedHint')}
    </span>
  );
}

export function SettingsScreen({ api, onLocale }: Props) {
  const { t, err, locale } = useI18n();
  const [saved, setSaved] = useState<Settings | null>(null);
  const [policy, setPolicy] = useState<SettingsPolicy | null>(null);
  const [form, setForm] = useState<SettingsPatch & { modulesText?: string; trustText?: string }>({});
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);

  // Loaded once per screen visit. `err` changes with the language: depending on it would reload
  // the settings on a language switch and race the switch's own save (the form showed the old one).
  const errRef = useRef(err);
  errRef.current = err;
  useEffect(() => {
    Promise.all([api['settings.get']({}), api['settings.policy']({})]).then(
      ([s, p]) => {
        setSaved(s);
        setPolicy(p);
        setForm({ ...s, modulesText: s.modulePaths.join('\n'), trustText: s.trustFiles.join('\n') });
      },
      (e: unknown) => setStatus({ ok: false, text: errRef.current(e) }),
    );
  }, [api]);

  // The language can also change from the top bar: keep the form in step, or saving would undo it.
  // Adjusted during render (not in an effect) so no frame shows the new language with the old
  // choice in the form.
  const [seenLocale, setSeenLocale] = useState(locale);
  if (seenLocale !== locale) {
    setSeenLocale(locale);
    setForm((f) => (f.locale === undefined || f.locale === locale ? f : { ...f, locale }));
    setSaved((v) => (v && v.locale !== locale ? { ...v, locale } : v));
  }

  if (!saved || !policy) {
    return status ? <p className="error">{status.text}</p> : <p className="muted">{t('ui.viewer.loading')}</p>;
  }
  const locked = (k: SettingKey): boolean => policy.locked.includes(k);
  const set = (p: Partial<typeof form>): void => {
    setForm((f) => ({ ...f, ...p }));
    setStatus(null);
  };
  const lines = (s: string | undefined): string[] =>
    (s ?? '')
      .split('\n')
      .map((x) => x.trim())
      .filter(Boolean);

  const save = async (): Promise<void> => {
    const all: SettingsPatch = {
      serverUrl: (form.serverUrl ?? '').trim(),
      proxy: (form.proxy ?? '').trim(),
      tsaUrl: (form.tsaUrl ?? '').trim(),
      level: form.level ?? saved.level,
      revocationMode: form.revocationMode ?? saved.revocationMode,
      locale: form.locale ?? saved.locale,
      modulePaths: lines(form.modulesText),
      trustFiles: lines(form.trustText),
    };
    // What the IT department set is not ours to send (the service would refuse a change anyway).
    const patch = Object.fromEntries(
      Object.entries(all).filter(([k]) => !policy.locked.includes(k as SettingKey)),
    ) as SettingsPatch;
    try {
      const s = await api['settings.update']({ patch });
      setSaved(s);
      if (s.locale !== saved.locale) onLocale(s.locale);
      setStatus({ ok: true, text: t('ui.settings.saved') });
    } catch (e) {
      setStatus({ ok: false, text: err(e) });
    }
  };

  return (
    <section className="settings" aria-labelledby="settings-h">
      <div className="screen-head">
        <h2 id="settings-h">{t('nav.settings')}</h2>
      </div>
      {policy.locked.length > 0 && (
        <p className="small muted" data-testid="settings-locked-note">
          {t('ui.settings.lockedNote')}
        </p>
      )}
      <form
        className="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <fieldset>
          <legend>{t('ui.settings.server')}</legend>
          <label className="field">
            <span>
              {t('ui.settings.serverUrl')} <LockedHint k="serverUrl" policy={policy} />
            </span>
            <input
              type="url"
              value={form.serverUrl ?? ''}
              onChange={(e) => set({ serverUrl: e.target.value })}
              placeholder="https://vanban.example.gov.vn"
              readOnly={locked('serverUrl')}
              data-testid="set-server"
            />
          </label>
          <label className="field">
            <span>
              {t('ui.settings.proxy')} <LockedHint k="proxy" policy={policy} />
            </span>
            <input
              type="url"
              value={form.proxy ?? ''}
              onChange={(e) => set({ proxy: e.target.value })}
              placeholder="http://proxy:3128"
              readOnly={locked('proxy')}
              data-testid="set-proxy"
            />
          </label>
          <p
            className={`small ${policy.secretStorage === 'keychain-unavailable' ? 'warn' : 'muted'}`}
            data-testid="signin-storage"
            data-storage={policy.secretStorage}
          >
            {t(`ui.settings.secrets.${policy.secretStorage}`)}
          </p>
        </fieldset>
        <fieldset>
          <legend>{t('ui.settings.signing')}</legend>
          <label className="field">
            <span>
              {t('ui.settings.tsa')} <LockedHint k="tsaUrl" policy={policy} />
            </span>
            <input
              type="url"
              value={form.tsaUrl ?? ''}
              onChange={(e) => set({ tsaUrl: e.target.value })}
              placeholder="http://tsa.example.gov.vn"
              readOnly={locked('tsaUrl')}
              data-testid="set-tsa"
            />
          </label>
          <label className="field">
            <span>
              {t('ui.settings.level')} <LockedHint k="level" policy={policy} />
            </span>
            <select
              value={form.level ?? saved.level}
              onChange={(e) => set({ level: e.target.value as Settings['level'] })}
              disabled={locked('level')}
              data-testid="set-level"
            >
              {PADES_LEVEL_NAMES.map((l) => (
                <option key={l} value={l}>
                  {t(`ui.settings.level.${l}`)}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="radios" disabled={locked('revocationMode')} data-testid="set-revocation">
            <legend>
              {t('ui.settings.revocation')} <LockedHint k="revocationMode" policy={policy} />
            </legend>
            {(['online', 'offline'] as const).map((m) => (
              <label key={m} className="radio">
                <input
                  type="radio"
                  name="revocation"
                  value={m}
                  checked={(form.revocationMode ?? saved.revocationMode) === m}
                  onChange={() => set({ revocationMode: m })}
                />
                {t(`ui.settings.revocation.${m}`)}
              </label>
            ))}
          </fieldset>
          <label className="field">
            <span>
              {t('ui.settings.drivers')} <LockedHint k="modulePaths" policy={policy} />
            </span>
            <textarea
              rows={2}
              value={form.modulesText ?? ''}
              onChange={(e) => set({ modulesText: e.target.value })}
              placeholder="/usr/lib/libvgca.so"
              readOnly={locked('modulePaths')}
              data-testid="set-drivers"
            />
            <small className="muted">{t('ui.settings.driversHelp')}</small>
          </label>
          <label className="field">
            <span>
              {t('ui.settings.trust')} <LockedHint k="trustFiles" policy={policy} />
            </span>
            <textarea
              rows={2}
              value={form.trustText ?? ''}
              onChange={(e) => set({ trustText: e.target.value })}
              readOnly={locked('trustFiles')}
              data-testid="set-trust"
            />
            <small className="muted">{t('ui.settings.trustHelp')}</small>
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('ui.settings.appearance')}</legend>
          <label className="field">
            <span>
              {t('app.language')} <LockedHint k="locale" policy={policy} />
            </span>
            <select
              value={form.locale ?? saved.locale}
              onChange={(e) => set({ locale: e.target.value === 'en' ? 'en' : 'vi' })}
              disabled={locked('locale')}
              data-testid="set-locale"
            >
              <option value="vi">Tiếng Việt</option>
              <option value="en">English</option>
            </select>
          </label>
          <div className="images">
            <ImagePicker api={api} kind="signature" info={saved.signatureImage} policy={policy} onChange={setSaved} />
            <ImagePicker api={api} kind="seal" info={saved.sealImage} policy={policy} onChange={setSaved} />
          </div>
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="settings-save">
            {t('ui.settings.save')}
          </button>
          {status && (
            <span className={status.ok ? 'good' : 'error'} role="status">
              {status.text}
            </span>
          )}
        </div>
      </form>
    </section>
  );
}

function ImagePicker(p: {
  api: KysoApi;
  kind: 'signature' | 'seal';
  info: ImageInfo | null;
  policy: SettingsPolicy;
  onChange(s: Settings): void;
}) {
  const key: SettingKey = p.kind === 'signature' ? 'signatureImage' : 'sealImage';
  const isLocked = p.policy.locked.includes(key);
  const { t, err } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const pick = async (file: File): Promise<void> => {
    setError(null);
    try {
      const uploadId = await uploadFile(file);
      p.onChange(await p.api['settings.setImage']({ kind: p.kind, uploadId }));
    } catch (e) {
      setError(err(e));
    }
  };
  return (
    <div className="image-picker" data-testid={`image-${p.kind}`}>
      <span className="label">
        {t(`ui.settings.image.${p.kind}`)} <LockedHint k={key} policy={p.policy} />
      </span>
      <div className={`preview preview-${p.kind}`}>
        {p.info ? (
          <img src={blobUrl(p.info.blobId)} alt={t(`ui.settings.image.${p.kind}`)} />
        ) : (
          <span className="muted small">{t('ui.settings.image.none')}</span>
        )}
      </div>
      {p.info && (
        <span className="small muted">
          {p.info.width}×{p.info.height} · {t('ui.settings.image.ink', { ink: p.info.ink })}
        </span>
      )}
      {p.info?.warnings.map((w, i) => (
        <span key={i} className="small warn">
          {err(w)}
        </span>
      ))}
      {error && <span className="small error">{error}</span>}
      <div className="row-actions" hidden={isLocked}>
        <button type="button" onClick={() => input.current?.click()}>
          {t('ui.settings.image.choose')}
        </button>
        {p.info && (
          <button
            type="button"
            className="ghost"
            onClick={() => void p.api['settings.setImage']({ kind: p.kind, uploadId: null }).then(p.onChange)}
          >
            {t('ui.settings.image.remove')}
          </button>
        )}
      </div>
      <input
        ref={input}
        type="file"
        accept="image/png"
        className="visually-hidden"
        tabIndex={-1}
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void pick(f);
          e.target.value = '';
        }}
        data-testid={`image-input-${p.kind}`}
      />
    </div>
  );
}
