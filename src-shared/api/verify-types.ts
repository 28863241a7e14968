/**
 * The validation report: per signature, an ETSI EN 319 102-1 indication with sub-indication,
 * what it covers, what changed after it, who signed and when, and the reasons in both languages.
 * `kyso verify --json`, the UI's signatures panel and the server all use this shape.
 */
import { z } from 'zod';

export const Indication = z.enum(['TOTAL-PASSED', 'TOTAL-FAILED', 'INDETERMINATE']);
export type Indication = z.infer<typeof Indication>;

export const Reason = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning', 'info']),
  vi: z.string(),
  en: z.string(),
});
export type Reason = z.infer<typeof Reason>;

export const SignatureReport = z.object({
  field: z.string(),
  kind: z.enum(['signature', 'document-timestamp']),
  signer: z
    .object({
      commonName: z.string(),
      organization: z.string().optional(),
      title: z.string().optional(),
      ids: z.array(z.object({ kind: z.string(), value: z.string() })),
      certificateSha256: z.string(),
      issuer: z.string(),
      kind: z.enum(['personal', 'organisation']),
    })
    .nullable(),
  indication: Indication,
  subIndication: z.string().nullable(),
  coverage: z.enum(['ENTIRE_FILE', 'ENTIRE_REVISION', 'PARTIAL', 'NONE']),
  modifications: z.object({
    level: z.enum(['NONE', 'LTA_UPDATES', 'FORM_FILLING', 'ANNOTATIONS', 'OTHER']),
    objects: z.array(z.object({ object: z.string(), what: z.string(), level: z.string() })),
  }),
  /** PAdES level found: B-B, B-T, B-LT, B-LTA, or null for non-PAdES signatures. */
  level: z.string().nullable(),
  /** Best signing time: the timestamp's genTime, else the claimed /M (ISO 8601). */
  signingTime: z.string().nullable(),
  signingTimeSource: z.enum(['timestamp', 'claimed', 'none']),
  timestamp: z.object({ time: z.string(), tsa: z.string(), valid: z.boolean() }).nullable(),
  certification: z.object({ permission: z.number() }).nullable(),
  trustAnchor: z.string().nullable(),
  reasons: z.array(Reason),
});
export type SignatureReport = z.infer<typeof SignatureReport>;

export const VerifyReport = z.object({
  file: z.string(),
  /** Set when the file itself could not be read safely (then no signature can pass). */
  fileError: Reason.nullable(),
  signatures: z.array(SignatureReport),
  warnings: z.array(Reason),
});
export type VerifyReport = z.infer<typeof VerifyReport>;
