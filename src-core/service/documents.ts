/**
 * One document in the UI: where the stamp of a role goes (the role planner's own layout, for the
 * certificate on the token), and the verification report of its signatures.
 */
import { planRole, type RoleProfile } from '../appearance/roles/index.js';
import type { Placement, RoleProfileName } from '../../src-shared/api/ui-types.js';
import type { VerifyReport } from '../../src-shared/api/verify-types.js';
import { toErrorValue } from '../../src-shared/errors.js';
import { PdfReader } from '../pdf/reader.js';
import { visibleSize } from '../sign/placement.js';
import { demoSealPng } from './demo-kit.js';
import { createTrustServices } from '../verify/trust-services.js';
import { verifyPdf } from '../verify/validate.js';

/** The role could not find where the signer's name is: the user places the stamp. */
export const ANCHOR_MISSING: readonly string[] = ['roles.anchorNotFound', 'roles.issue.leaderNotVisible'];

/** Stand-in values so the planner can lay out number/date/directive before they are known. */
const PLACEHOLDERS = { comment: 'Ý kiến chỉ đạo', docNumber: '00/QĐ-XX', copyType: 'SAO Y' } as const;

/** A plain box near the lower right of page 1 when no certificate is at hand to plan with. */
export function defaultPlacement(path: string, profile: RoleProfileName): Placement {
  let w = 595;
  try {
    const reader = PdfReader.open(path);
    try {
      const page = reader.pageAt(0);
      if (page) w = visibleSize(page)[0];
    } finally {
      reader.close();
    }
  } catch {
    // keep A4
  }
  const boxW = profile === 'initials' ? 60 : 180;
  const boxH = profile === 'initials' ? 30 : 70;
  const x2 = w - 60;
  return { profile, pageIndex: 0, rect: [x2 - boxW, 80, x2, 80 + boxH], source: 'default', warnings: [] };
}

export async function placementFor(
  path: string,
  profile: RoleProfileName,
  certDer: Buffer | null,
  extra: { docNumber?: string; docDate?: string; signatureImage?: Buffer; sealImage?: Buffer } = {},
): Promise<Placement> {
  if (!certDer) return defaultPlacement(path, profile);
  try {
    const plan = await planRole({
      profile: profile as RoleProfile,
      input: path,
      signerCertDer: certDer,
      comment: PLACEHOLDERS.comment,
      docNumber: extra.docNumber ?? PLACEHOLDERS.docNumber,
      ...(extra.docDate ? { docDate: extra.docDate } : {}),
      copyType: PLACEHOLDERS.copyType,
      ...(extra.signatureImage ? { signatureImage: extra.signatureImage } : {}),
      // The seal's size decides where it goes; a stand-in is enough to plan before one is chosen.
      sealImage: extra.sealImage ?? demoSealPng(),
    });
    const rect = plan.placement.rect;
    if (!rect) return defaultPlacement(path, profile);
    return {
      profile,
      pageIndex: plan.placement.pageIndex ?? 0,
      rect: [rect[0], rect[1], rect[2], rect[3]],
      source: 'role',
      warnings: plan.warnings.map((w) => ({ code: w.code, messageKey: w.key, params: w.params })),
    };
  } catch (e) {
    const d = defaultPlacement(path, profile);
    const v = toErrorValue(e);
    if (ANCHOR_MISSING.includes(v.messageKey)) {
      return { ...d, source: 'fallback', warnings: [{ code: 'anchor-missing', messageKey: 'ui.doc.anchorMissing' }] };
    }
    return {
      ...d,
      warnings: [{ code: v.code, messageKey: v.messageKey, ...(v.params ? { params: { ...v.params } } : {}) }],
    };
  }
}

export interface VerifySettings {
  trustFiles: string[];
  offline: boolean;
  env: NodeJS.ProcessEnv;
}

export async function verifyFile(path: string, shownName: string, s: VerifySettings): Promise<VerifyReport> {
  const trust = await createTrustServices({ trustPems: s.trustFiles, env: s.env });
  const report = await verifyPdf(path, { trust, offline: s.offline });
  return { ...report, file: shownName };
}
