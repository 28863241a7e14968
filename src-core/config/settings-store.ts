/**
 * The settings in force, in layers: built-in defaults, then launch-time environment defaults
 * (KYSO_SERVER_URL …), then the enterprise preset, then the user's own choices — except for
 * keys the preset locks (and `updateUrl`, which only the preset may set): those the user can
 * neither change through the API nor by editing the settings file. Only the user's layer is
 * stored, and only what the user actually changed, so an unchanged setting keeps following the
 * defaults and the preset.
 */
import { isDeepStrictEqual } from 'node:util';
import type { SettingKey } from '../../src-shared/api/ui-types.js';
import { SETTING_KEYS } from '../../src-shared/api/ui-types.js';
import { KysoError } from '../../src-shared/errors.js';
import type { Locale, MessageKey } from '../../src-shared/i18n/messages.js';
import { t } from '../../src-shared/i18n/translate.js';
import type { EnterprisePreset } from './enterprise-config.js';
import type { SettingsBackend } from './settings-backend.js';
import {
  BUILT_IN_DEFAULTS,
  ENTERPRISE_ONLY,
  PartialSettingsSchema,
  validFields,
  type PartialSettings,
  type StoredSettings,
} from './settings-schema.js';

export type SettingSource = 'default' | 'env' | 'enterprise' | 'user';

export interface SettingsStoreOptions {
  backend: SettingsBackend;
  enterprise: EnterprisePreset;
  /** Launch-time defaults (envSettings(process.env)). */
  env?: PartialSettings;
  /** The language before anyone chose one (KYSO_LANG, else Vietnamese). */
  locale: Locale;
}

export interface SettingsChange {
  settings: StoredSettings;
  /** Keys whose value changed (empty: nothing was written). */
  changed: SettingKey[];
}

/** The user-facing name of a setting, for messages ("Địa chỉ máy chủ"). */
export const settingLabel = (locale: Locale, k: SettingKey): string => t(locale, `settings.key.${k}` as MessageKey);

export class SettingsStore {
  private user: PartialSettings;
  /** Fields of the stored file that were not valid (or not the user's to set) and are ignored. */
  readonly ignoredOnLoad: string[];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SettingsStoreOptions) {
    const { valid, dropped } = validFields(o.backend.read());
    const own = Object.entries(valid).filter(([k]) => !ENTERPRISE_ONLY.has(k as SettingKey));
    for (const [k] of Object.entries(valid)) if (ENTERPRISE_ONLY.has(k as SettingKey)) dropped.push(k);
    this.user = Object.fromEntries(own) as PartialSettings;
    this.ignoredOnLoad = dropped;
  }

  get location(): string {
    return this.o.backend.location;
  }

  get enterpriseFile(): string | null {
    return this.o.enterprise.file;
  }

  /** Locked keys, in the contract's order. */
  locked(): SettingKey[] {
    return SETTING_KEYS.filter((k) => this.o.enterprise.locked.has(k));
  }

  /** Keys the preset gives a value for. */
  preset(): SettingKey[] {
    return SETTING_KEYS.filter((k) => k in this.o.enterprise.settings);
  }

  isLocked(k: SettingKey): boolean {
    return this.o.enterprise.locked.has(k) || ENTERPRISE_ONLY.has(k);
  }

  /** SETTING_LOCKED, naming the keys for people (in the current language) and for programs. */
  lockedError(keys: SettingKey[]): KysoError {
    const locale = this.get().locale;
    return new KysoError('SETTING_LOCKED', 'config.locked', {
      keys: keys.map((k) => settingLabel(locale, k)).join(', '),
      names: keys.join(','),
    });
  }

  get(): StoredSettings {
    const out = { ...BUILT_IN_DEFAULTS(this.o.locale), ...this.o.env, ...this.o.enterprise.settings };
    for (const [k, v] of Object.entries(this.user) as Array<[SettingKey, unknown]>) {
      if (!this.isLocked(k)) (out as Record<string, unknown>)[k] = v;
    }
    return structuredClone(out);
  }

  source(): Record<SettingKey, SettingSource> {
    const out = {} as Record<SettingKey, SettingSource>;
    for (const k of SETTING_KEYS) {
      out[k] =
        !this.isLocked(k) && k in this.user
          ? 'user'
          : k in this.o.enterprise.settings
            ? 'enterprise'
            : this.o.env && k in this.o.env
              ? 'env'
              : 'default';
    }
    return out;
  }

  /**
   * Applies the user's changes. A patch that would change a locked key is refused as a whole
   * (SETTING_LOCKED, nothing written); naming a locked key with its current value is harmless.
   * Writes run one after another, each on the state the previous one left.
   */
  update(patch: PartialSettings): Promise<SettingsChange> {
    const run = this.chain.then(() => this.apply(patch));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async apply(patch: PartialSettings): Promise<SettingsChange> {
    const parsed = PartialSettingsSchema.safeParse(patch);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new KysoError('USAGE', 'error.usage', {
        detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      });
    }
    const current = this.get();
    const changed = (Object.keys(parsed.data) as SettingKey[]).filter(
      (k) => parsed.data[k] !== undefined && !isDeepStrictEqual(parsed.data[k], current[k]),
    );
    const refused = changed.filter((k) => this.isLocked(k));
    if (refused.length > 0) throw this.lockedError(refused);
    if (changed.length === 0) return { settings: current, changed };
    const next: PartialSettings = { ...this.user };
    for (const k of changed) (next as Record<string, unknown>)[k] = parsed.data[k];
    await this.o.backend.write(next as Record<string, unknown>);
    this.user = next;
    return { settings: this.get(), changed };
  }
}
