/**
 * The settings a user or an IT department can set, one schema for both. Enterprise presets use
 * the same keys and may lock any of them (docs/enterprise.md).
 */
import { z } from 'zod';

export const SettingsSchema = z
  .object({
    serverUrl: z.string().url().optional(),
    pkcs11Modules: z.array(z.string().min(1)).optional(),
    tsaUrl: z.string().url().optional(),
    revocationMode: z.enum(['online', 'offline']).optional(),
    language: z.enum(['vi', 'en']).optional(),
    proxyUrl: z.string().url().optional(),
    /** Folder of trust anchors the IT department provides (only pinned ones are accepted). */
    trustDir: z.string().optional(),
    signatureImage: z.string().optional(),
    sealImage: z.string().optional(),
    idleLogoutMinutes: z.number().int().min(1).max(480).optional(),
    updateUrl: z.string().url().optional(),
    /** OCSP host rewrites for certificates naming an internal responder. */
    ocspOverrides: z.record(z.string(), z.string().url()).optional(),
  })
  .strict();

export type Settings = z.infer<typeof SettingsSchema>;
export type SettingKey = keyof Settings;

export const DEFAULT_SETTINGS: Settings = {
  revocationMode: 'online',
  language: 'vi',
  idleLogoutMinutes: 5,
};
