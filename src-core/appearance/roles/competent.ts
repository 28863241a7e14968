/**
 * Decree 30 art. 32.2(d): the clerk applies the organisation's signature only to a document that
 * already carries the digital signature of the competent person. Before issuing we look for at
 * least one earlier signature that is
 *
 *   - intact: a well-formed /ByteRange over a whole revision or the whole file, whose gap is its
 *     own /Contents, and a CMS that verifies over those bytes (signature-integrity.ts);
 *   - not undermined by what came after it: later revisions add only signatures, DSS data and
 *     annotations (diff-analysis.ts), no change to the signed pages;
 *   - made with a personal certificate (pki/cert-kind.ts), not an organisation's.
 *
 * Trust in the signer's chain and revocation are not judged here: that is `kyso verify`'s job with
 * the organisation's trust list (TrustServices), which a clerk's workstation may not have offline.
 * A forged certificate would pass this check; it would fail verification at the recipient.
 */
import { KysoError } from '../../../src-shared/errors.js';
import { decodeCertificate, first, OID } from '../../pki/cert-decode.js';
import { certificateKind } from '../../pki/cert-kind.js';
import type { PageInfo, PdfReader } from '../../pdf/reader.js';
import { isArray, isRef } from '../../pdf/objects.js';
import { listSignatures, type FoundSignature } from '../../sign/signature-lookup.js';
import type { Rect } from '../../sign/placement.js';
import { analyseLaterRevisions } from '../../verify/diff-analysis.js';
import { revisionBoundaries } from '../../verify/revisions.js';
import { checkIntegrity } from '../../verify/signature-integrity.js';
import { userRectToVisible } from './annotations.js';

export interface ExistingSignature {
  fieldName: string;
  commonName: string;
  kind: 'personal' | 'organisation';
  /** Integrity, CMS and later-revision checks all passed. */
  valid: boolean;
  problems: string[];
  /** The widget's page and visible rectangle, when the signature is visible. */
  pageIndex: number | null;
  rect: Rect | null;
}

function widgetPlace(
  reader: PdfReader,
  s: FoundSignature,
  pages: PageInfo[],
): { pageIndex: number; rect: Rect } | null {
  const r = reader.rect(s.field.get('Rect'));
  if (!r || r[2] - r[0] <= 0.5 || r[3] - r[1] <= 0.5) return null;
  const p = s.field.get('P');
  // Objects are cached by the reader, so the same object compares identical.
  let page = isRef(p) ? pages.find((pg) => pg.ref.num === p.num && pg.ref.gen === p.gen) : undefined;
  if (!page) {
    page = pages.find((pg) => {
      const annots = reader.resolveValue(pg.dict.get('Annots'));
      return isArray(annots) && annots.some((a) => reader.dictOf(a) === s.field);
    });
  }
  if (!page) return null;
  return { pageIndex: page.index, rect: userRectToVisible(page, r) };
}

/** Every signature (not document timestamps) in the file, with its verdict and widget place. */
export async function existingSignatures(reader: PdfReader, path: string): Promise<ExistingSignature[]> {
  const out: ExistingSignature[] = [];
  const sigs = listSignatures(reader).filter((s) => s.kind === 'sig');
  if (sigs.length === 0) return out;
  const pages = reader.pages();
  const boundaries = revisionBoundaries(reader);
  for (const s of sigs) {
    const problems: string[] = [];
    const integ = await checkIntegrity(reader, path, s);
    problems.push(...integ.problems);
    const cms = integ.cms;
    if (!cms || !cms.digestMatches || !cms.signatureValid) problems.push('cms-invalid');
    if (integ.coverage === 'ENTIRE_REVISION') {
      const section = boundaries.find((b) => b.end === integ.signedEnd || b.eofEnd === integ.signedEnd)?.section;
      if (section === undefined) problems.push('revision-unknown');
      else if (analyseLaterRevisions(reader, section).level === 'OTHER') problems.push('modified-after-signing');
    } else if (integ.coverage !== 'ENTIRE_FILE') problems.push(`coverage-${integ.coverage.toLowerCase()}`);
    let commonName = '';
    let kind: ExistingSignature['kind'] = 'personal';
    if (cms?.signerCertDer) {
      try {
        const d = decodeCertificate(cms.signerCertDer);
        commonName = first(d.subject, OID.commonName) ?? '';
        kind = certificateKind(d);
      } catch {
        problems.push('certificate-unreadable');
      }
    } else problems.push('no-signer-certificate');
    const place = widgetPlace(reader, s, pages);
    out.push({
      fieldName: s.fieldName,
      commonName,
      kind,
      valid: problems.length === 0,
      problems,
      pageIndex: place?.pageIndex ?? null,
      rect: place?.rect ?? null,
    });
  }
  return out;
}

/**
 * The competent person's signature the organisation's seal goes over: the newest valid personal
 * signature with a visible stamp of signature size (an initialling mark of a few hundred square
 * points is not it), else the newest visible one, else the newest. Throws when there is none
 * (art. 32.2(d)).
 */
export async function requireCompetentSignature(reader: PdfReader, path: string): Promise<ExistingSignature> {
  const all = await existingSignatures(reader, path);
  const ok = all.filter((s) => s.valid && s.kind === 'personal');
  if (ok.length === 0) {
    const seen = all.map(
      (s) => `${s.fieldName} (${s.commonName || '?'}, ${s.kind}${s.valid ? '' : `: ${s.problems.join(', ')}`})`,
    );
    throw new KysoError('INPUT_MALFORMED', 'roles.issue.noCompetentSignature', {
      found: seen.length > 0 ? seen.join('; ') : '-',
    });
  }
  const area = (s: ExistingSignature): number => (s.rect ? (s.rect[2] - s.rect[0]) * (s.rect[3] - s.rect[1]) : 0);
  const large = ok.filter((s) => area(s) >= SIGNATURE_AREA);
  const visible = ok.filter((s) => s.rect !== null);
  const pool = large.length > 0 ? large : visible.length > 0 ? visible : ok;
  return pool[pool.length - 1]!;
}

/** 1500 pt² (say 50 × 30 pt): above an initialling mark (40 × 20 pt), below any signature image. */
const SIGNATURE_AREA = 1500;
