/**
 * What the UI and scripts learn about modules, tokens and certificates. Plain data: the
 * engine fills it from PKCS#11 and X.509; the renderer only shows it.
 */
import { z } from 'zod';

export const PinState = z.object({
  initialized: z.boolean(),
  /** CKF_USER_PIN_COUNT_LOW: at least one wrong PIN since the last good one. */
  countLow: z.boolean(),
  /** CKF_USER_PIN_FINAL_TRY: one more wrong PIN locks the token. */
  finalTry: z.boolean(),
  locked: z.boolean(),
  /** The PIN is typed on the reader's own keypad (CKF_PROTECTED_AUTHENTICATION_PATH). */
  pinPad: z.boolean(),
});
export type PinState = z.infer<typeof PinState>;

export const PersonId = z.object({
  /** CMND, CCCD, MST, HC, BHXH … as written in the certificate's UID. */
  kind: z.string(),
  value: z.string(),
});
export type PersonId = z.infer<typeof PersonId>;

export const CertificateSummary = z.object({
  /** CKA_ID on the token, hex. */
  id: z.string(),
  label: z.string(),
  subject: z.object({
    commonName: z.string(),
    title: z.string().optional(),
    organization: z.string().optional(),
    organizationalUnit: z.string().optional(),
    locality: z.string().optional(),
    province: z.string().optional(),
    country: z.string().optional(),
    email: z.string().optional(),
    ids: z.array(PersonId),
  }),
  subjectDn: z.string(),
  issuerDn: z.string(),
  issuerCommonName: z.string(),
  serialNumber: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  keyAlgorithm: z.string(),
  keyUsage: z.array(z.string()),
  extendedKeyUsage: z.array(z.string()),
  sha256: z.string(),
  kind: z.enum(['personal', 'organisation']),
  hasPrivateKey: z.boolean(),
  /** Shown always; offered for signing only when usable is true. */
  usable: z.boolean(),
  /** Why it is not usable (message keys), empty when usable. */
  problems: z.array(z.string()),
  isCa: z.boolean(),
});
export type CertificateSummary = z.infer<typeof CertificateSummary>;

export const TokenSummary = z.object({
  modulePath: z.string(),
  slotId: z.string(),
  slotDescription: z.string(),
  label: z.string(),
  manufacturer: z.string(),
  model: z.string(),
  serialNumber: z.string(),
  pin: PinState,
  certificates: z.array(CertificateSummary),
});
export type TokenSummary = z.infer<typeof TokenSummary>;

export const ModuleSummary = z.object({
  path: z.string(),
  vendor: z.string(),
  /** Where the path came from: the built-in driver list, the configuration, or KYSO_PKCS11_MODULE. */
  source: z.enum(['driver-list', 'configured', 'environment', 'argument']),
  loaded: z.boolean(),
  /** When it could not be loaded: a message key and its parameters. */
  error: z
    .object({
      code: z.string(),
      messageKey: z.string(),
      params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    })
    .optional(),
  library: z.object({ manufacturer: z.string(), description: z.string(), version: z.string() }).optional(),
  tokens: z.array(TokenSummary),
});
export type ModuleSummary = z.infer<typeof ModuleSummary>;
