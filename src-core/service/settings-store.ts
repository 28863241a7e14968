/**
 * The user's settings, in settings.json of the data folder. Environment variables give the
 * defaults an IT department (or `kyso demo`, or a test) presets; what the user saves wins.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Settings, type SettingsPatch } from '../../src-shared/api/ui-types.js';
import type { Locale } from '../../src-shared/i18n/messages.js';
import { writeFileAtomic } from './data-dir.js';

/** What is stored: settings without the derived image info (kept as files beside it). */
type Stored = Omit<Settings, 'signatureImage' | 'sealImage'> & {
  signatureImage: string | null;
  sealImage: string | null;
};

const list = (v: string | undefined): string[] =>
  (v ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean);

export function envDefaults(env: NodeJS.ProcessEnv, locale: Locale): Stored {
  const level = env.KYSO_LEVEL;
  return {
    serverUrl: env.KYSO_SERVER_URL ?? '',
    modulePaths: [],
    tsaUrl: env.KYSO_TSA_URL ?? '',
    level:
      level === 'B-B' || level === 'B-T' || level === 'B-LT' || level === 'B-LTA'
        ? level
        : env.KYSO_TSA_URL
          ? 'B-T'
          : 'B-B',
    revocationMode: env.KYSO_OFFLINE === '1' ? 'offline' : 'online',
    locale,
    proxy: env.KYSO_PROXY ?? '',
    trustFiles: list(env.KYSO_TRUST_FILES),
    signatureImage: env.KYSO_SIGNATURE_IMAGE ?? null,
    sealImage: env.KYSO_SEAL_IMAGE ?? null,
  };
}

export class SettingsStore {
  private value: Stored;
  readonly path: string;

  constructor(dataDir: string, env: NodeJS.ProcessEnv, locale: Locale) {
    this.path = join(dataDir, 'settings.json');
    const defaults = envDefaults(env, locale);
    let saved: Partial<Stored> = {};
    try {
      saved = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<Stored>;
    } catch {
      saved = {};
    }
    const merged = { ...defaults, ...saved };
    // A damaged or outdated file falls back to the defaults field by field.
    const check = Settings.omit({ signatureImage: true, sealImage: true }).safeParse(merged);
    this.value = check.success
      ? { ...check.data, signatureImage: merged.signatureImage ?? null, sealImage: merged.sealImage ?? null }
      : defaults;
  }

  get(): Stored {
    return structuredClone(this.value);
  }

  async update(patch: SettingsPatch | Partial<Stored>): Promise<Stored> {
    this.value = { ...this.value, ...patch };
    await writeFileAtomic(this.path, `${JSON.stringify(this.value, null, 2)}\n`);
    return this.get();
  }
}

export type StoredSettings = Stored;
