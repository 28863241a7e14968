/**
 * `kyso verify`: a verdict per signature that an auditor can rely on (validator checklist 1–10).
 * Integrity and coverage first, then what changed after the signature, then who signed (path to
 * a trust anchor at the best proof-of-existence time), revocation, timestamps and the PAdES
 * level — each failure mapped to an ETSI EN 319 102-1 indication and sub-indication with reasons
 * in Vietnamese and English.
 */
import type { Reason, SignatureReport, VerifyReport } from '../../src-shared/api/verify-types.js';
import type { MessageKey } from '../../src-shared/i18n/messages.js';
import { t } from '../../src-shared/i18n/translate.js';
import { decodeCertificate, first, OID } from '../pki/cert-decode.js';
import { certificateKind } from '../pki/cert-kind.js';
import { PdfReader } from '../pdf/reader.js';
import { PdfStream, PdfString, isArray, isName, isNumber, isRef } from '../pdf/objects.js';
import { isLockedField, readFieldLock } from '../sign/field-lock.js';
import { listSignatures, type FoundSignature } from '../sign/signature-lookup.js';
import { asInputError } from '../sign/pdf-signer.js';
import { KysoError } from '../../src-shared/errors.js';
import { analyseLaterRevisions, type DiffResult } from './diff-analysis.js';
import { revisionBoundaries } from './revisions.js';
import { checkIntegrity, sha256Hex, type IntegrityResult } from './signature-integrity.js';

export interface PathCheck {
  status: 'valid' | 'no-chain' | 'expired' | 'not-yet-valid' | 'constraints' | 'bad-signature' | 'weak-algorithm';
  chain: Buffer[];
  anchorName?: string;
  warnings: string[];
  reasons: string[];
}

export interface RevocationOutcome {
  status: 'good' | 'revoked' | 'unknown';
  revocationTime?: Date;
  revokedBeforeSigning: boolean;
  detail?: string;
}

/** Trust decisions, injected so tests and the server can give their own store. */
export interface TrustServices {
  path(leafDer: Buffer, candidates: Buffer[], at: Date): PathCheck;
  revocation(
    chain: Buffer[],
    at: Date,
    embedded: { ocsps: Buffer[]; crls: Buffer[] },
    offline: boolean,
  ): Promise<RevocationOutcome>;
}

export interface VerifyOptions {
  trust: TrustServices;
  offline?: boolean;
  now?: Date;
}

const reason = (severity: Reason['severity'], key: MessageKey, params?: Record<string, string | number>): Reason => ({
  code: key.replace(/^verify\./, ''),
  severity,
  vi: t('vi', key, params),
  en: t('en', key, params),
});

interface Dss {
  certs: Buffer[];
  ocsps: Buffer[];
  crls: Buffer[];
}

function readDss(reader: PdfReader): Dss {
  const out: Dss = { certs: [], ocsps: [], crls: [] };
  const dss = reader.dictOf(reader.catalog().get('DSS'));
  if (!dss) return out;
  const take = (key: string, into: Buffer[]): void => {
    const arr = reader.resolveValue(dss.get(key));
    if (!isArray(arr)) return;
    for (const item of arr.slice(0, 10000)) {
      const s = reader.resolveValue(item);
      if (s instanceof PdfStream) {
        try {
          into.push(reader.streamData(s, isRef(item) ? item : undefined));
        } catch {
          // An undecodable entry is simply not evidence.
        }
      }
    }
  };
  take('Certs', out.certs);
  take('OCSPs', out.ocsps);
  take('CRLs', out.crls);
  return out;
}

function docMdp(reader: PdfReader): { permission: number; sigRefNum: number } | null {
  const perms = reader.dictOf(reader.catalog().get('Perms'));
  const ref = perms?.get('DocMDP');
  if (!perms || !isRef(ref)) return null;
  const sig = reader.dictOf(ref);
  const refs = sig ? reader.resolveValue(sig.get('Reference')) : undefined;
  let p = 2;
  if (isArray(refs)) {
    for (const r of refs) {
      const sigRef = reader.dictOf(r);
      if (!sigRef || !isName(reader.resolveValue(sigRef.get('TransformMethod')), 'DocMDP')) continue;
      const params = reader.dictOf(sigRef.get('TransformParams'));
      const v = params ? reader.resolveValue(params.get('P')) : undefined;
      if (isNumber(v)) p = v;
    }
  }
  return { permission: p, sigRefNum: ref.num };
}

function claimedTime(sig: FoundSignature, reader: PdfReader): Date | null {
  const m = reader.resolveValue(sig.sig.get('M'));
  if (!(m instanceof PdfString)) return null;
  const s = m.bytes.toString('latin1');
  const r = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?/.exec(s);
  if (!r) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', tz, th = '00', tm = '00'] = r;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${se}${tz === '+' || tz === '-' ? `${tz}${th}:${tm}` : 'Z'}`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

export async function verifyPdf(path: string, opts: VerifyOptions): Promise<VerifyReport> {
  const now = opts.now ?? new Date();
  let reader: PdfReader;
  try {
    reader = PdfReader.open(path);
  } catch (e) {
    const mapped = asInputError(e, path);
    const detail =
      mapped instanceof KysoError ? String(mapped.params.detail ?? mapped.params.path ?? '') : 'unreadable';
    return {
      file: path,
      fileError: reason('error', 'verify.fileUnreadable', { detail }),
      signatures: [],
      warnings: [],
    };
  }
  try {
    const sigs = listSignatures(reader);
    const warnings: Reason[] = [];
    if (sigs.length === 0) warnings.push(reason('warning', 'verify.noSignatures'));
    const dss = readDss(reader);
    const boundaries = revisionBoundaries(reader);
    const mdp = docMdp(reader);
    // Trailing bytes after the newest revision that nothing covers.
    const newestEnd = boundaries.find((b) => b.section === 0)?.end ?? reader.length;
    const trailing =
      reader.src
        .read(newestEnd, Math.min(4096, reader.length - newestEnd))
        .toString('latin1')
        .trim().length > 0;

    const integrities = new Map<FoundSignature, IntegrityResult>();
    for (const s of sigs) integrities.set(s, await checkIntegrity(reader, path, s));
    // Document timestamps give proof of existence to every signature they cover.
    const docTsTimes = sigs
      .filter((s) => s.kind === 'doc-timestamp')
      .map((s) => ({
        end: integrities.get(s)!.signedEnd,
        time: integrities.get(s)!.cms?.timestamp?.genTime ?? tstTime(integrities.get(s)!),
      }))
      .filter((x): x is { end: number; time: Date } => x.time instanceof Date);

    const reports: SignatureReport[] = [];
    for (const s of sigs) {
      const integ = integrities.get(s)!;
      const section = boundaries.find((b) => b.end === integ.signedEnd || b.eofEnd === integ.signedEnd)?.section;
      const diff: DiffResult =
        integ.coverage === 'ENTIRE_REVISION' && section !== undefined
          ? analyseLaterRevisions(reader, section)
          : { level: 'NONE', changes: [], visibleSignatureWidgetsAdded: 0, changedFieldNames: [] };
      reports.push(
        await judge(s, integ, diff, {
          reader,
          dss,
          mdp,
          trailing: trailing && integ.coverage !== 'NONE',
          docTsTimes,
          trust: opts.trust,
          offline: opts.offline ?? false,
          now,
        }),
      );
    }
    return { file: path, fileError: null, signatures: reports, warnings };
  } finally {
    reader.close();
  }
}

/** DocMDP-style permission P (1: no changes; 2: form filling and signing; 3: also annotations). */
function exceedsPermission(p: number, diff: DiffResult): boolean {
  return (
    (p === 1 && diff.changes.some((x) => x.level !== 'LTA_UPDATES')) ||
    (p === 2 && (diff.level === 'ANNOTATIONS' || diff.visibleSignatureWidgetsAdded > 0))
  );
}

function tstTime(i: IntegrityResult): Date | null {
  return i.cms?.timestamp?.genTime ?? null;
}

interface JudgeContext {
  reader: PdfReader;
  dss: Dss;
  mdp: { permission: number; sigRefNum: number } | null;
  trailing: boolean;
  docTsTimes: Array<{ end: number; time: Date }>;
  trust: TrustServices;
  offline: boolean;
  now: Date;
}

async function judge(
  s: FoundSignature,
  integ: IntegrityResult,
  diff: DiffResult,
  c: JudgeContext,
): Promise<SignatureReport> {
  const reasons: Reason[] = [];
  // Mutated by fail()/indeterminate(); an object so TypeScript does not narrow it away.
  const v: { indication: SignatureReport['indication']; sub: string | null } = {
    indication: 'TOTAL-PASSED',
    sub: null,
  };
  const fail = (sI: string, r: Reason): void => {
    reasons.push(r);
    if (v.indication !== 'TOTAL-FAILED') {
      v.indication = 'TOTAL-FAILED';
      v.sub = sI;
    }
  };
  const indeterminate = (sI: string, r: Reason): void => {
    reasons.push(r);
    if (v.indication === 'TOTAL-PASSED') {
      v.indication = 'INDETERMINATE';
      v.sub = sI;
    }
  };
  const cms = integ.cms;
  const isCertification = c.mdp !== null && s.sigRef !== null && c.mdp.sigRefNum === s.sigRef.num;

  // 1. Structure and integrity.
  for (const p of integ.problems) {
    if (p === 'byte-range-malformed') fail('FORMAT_FAILURE', reason('error', 'verify.byteRangeMalformed'));
    else if (p === 'contents-missing') fail('FORMAT_FAILURE', reason('error', 'verify.contentsMissing'));
    else if (p === 'byte-range-gap-not-contents') fail('FORMAT_FAILURE', reason('error', 'verify.gapNotContents'));
    else if (p === 'coverage-partial') fail('FORMAT_FAILURE', reason('error', 'verify.coveragePartial'));
  }
  if (integ.byteRangeOk && !cms) fail('FORMAT_FAILURE', reason('error', 'verify.cmsMalformed'));
  if (cms) {
    if (!cms.signerCertDer || cms.errors.some((e) => e.startsWith('malformed') || e.startsWith('der'))) {
      fail('FORMAT_FAILURE', reason('error', 'verify.cmsMalformed'));
    } else if (!cms.digestMatches) fail('HASH_FAILURE', reason('error', 'verify.hashMismatch'));
    else if (!cms.signatureValid) fail('SIG_CRYPTO_FAILURE', reason('error', 'verify.signatureInvalid'));
    const subFilter = c.reader.resolveValue(s.sig.get('SubFilter'));
    const isCades = subFilter instanceof Object && (subFilter as { name?: string }).name === 'ETSI.CAdES.detached';
    if (s.kind === 'sig' && isCades && (!cms.contentTypeOk || !cms.signingCertV2Ok)) {
      fail('FORMAT_FAILURE', reason('error', 'verify.cadesAttributes'));
    }
    if (cms.algorithmProblems.length > 0) {
      indeterminate(
        'CRYPTO_CONSTRAINTS_FAILURE_NO_POE',
        reason('error', 'verify.weakAlgorithm', { detail: cms.algorithmProblems.join(', ') }),
      );
    }
  }
  if (c.trailing && integ.coverage !== 'ENTIRE_FILE') fail('FORMAT_FAILURE', reason('error', 'verify.trailingData'));

  // 2. What changed afterwards.
  const details = diff.changes
    .filter((x) => x.level === diff.level)
    .map((x) => `${x.what} [${x.object}]`)
    .slice(0, 6)
    .join('; ');
  if (diff.level === 'OTHER') fail('FORMAT_FAILURE', reason('error', 'verify.modified', { detail: details }));
  else if (c.mdp && diff.level !== 'NONE' && s.kind === 'sig') {
    // Certification rules bind every signature in a certified document.
    const p = c.mdp.permission;
    if (exceedsPermission(p, diff))
      fail('FORMAT_FAILURE', reason('error', 'verify.certificationViolated', { p, detail: details }));
  }
  // FieldMDP. The lock is read from the newest revision: a later change to this signature's
  // dictionary or to its field's /Lock is itself an OTHER modification (failed above).
  const lock = s.kind === 'sig' ? readFieldLock(c.reader, s.sig, s.field) : null;
  if (lock && diff.level !== 'NONE') {
    const locked = [...new Set(diff.changedFieldNames.filter((f) => isLockedField(lock, f)))];
    if (locked.length > 0)
      fail('FORMAT_FAILURE', reason('error', 'verify.fieldLocked', { fields: locked.slice(0, 10).join(', ') }));
    if (lock.p !== undefined && exceedsPermission(lock.p, diff))
      fail('FORMAT_FAILURE', reason('error', 'verify.lockPermissionViolated', { p: lock.p, detail: details }));
  }
  if (diff.level !== 'NONE' && diff.level !== 'OTHER' && v.indication === 'TOTAL-PASSED') {
    reasons.push(
      reason('info', 'verify.modifiedAllowed', {
        detail: [...new Set(diff.changes.map((x) => x.what.split(':')[0]))].join(', '),
      }),
    );
  }

  // 3. Time: the signature timestamp, else a covering document timestamp, else now.
  let poe = c.now;
  let timeSource: SignatureReport['signingTimeSource'] = 'none';
  let signingTime: Date | null = null;
  let tsReport: SignatureReport['timestamp'] = null;
  if (cms?.timestamp) {
    const ts = cms.timestamp;
    const ok = ts.imprintOk && ts.signatureValid && ts.errors.length === 0;
    tsReport = {
      time: ts.genTime ? ts.genTime.toISOString() : '',
      tsa: ts.tsaCertDer ? (first(decodeCertificate(ts.tsaCertDer).subject, OID.commonName) ?? '') : '',
      valid: ok,
    };
    if (!ok) indeterminate('TIMESTAMP_ORDER_FAILURE', reason('error', 'verify.timestampInvalid'));
    else if (ts.genTime) {
      poe = ts.genTime;
      signingTime = ts.genTime;
      timeSource = 'timestamp';
    }
  }
  if (timeSource !== 'timestamp') {
    const covering = c.docTsTimes
      .filter((d) => d.end > integ.signedEnd)
      .sort((a, b) => a.time.getTime() - b.time.getTime())[0];
    if (covering) poe = covering.time;
    signingTime = claimedTime(s, c.reader);
    if (signingTime) {
      timeSource = 'claimed';
      if (s.kind === 'sig') reasons.push(reason('info', 'verify.claimedTime'));
    }
  }

  // 4. Signer, chain, revocation.
  let signer: SignatureReport['signer'] = null;
  let anchor: string | null = null;
  const signerDer =
    s.kind === 'doc-timestamp'
      ? (cms?.timestamp?.tsaCertDer ?? cms?.signerCertDer ?? null)
      : (cms?.signerCertDer ?? null);
  if (signerDer) {
    try {
      const d = decodeCertificate(signerDer);
      signer = {
        commonName: first(d.subject, OID.commonName) ?? '',
        organization: first(d.subject, OID.organization),
        title: first(d.subject, OID.title),
        ids: d.ids,
        certificateSha256: sha256Hex(signerDer).toUpperCase(),
        issuer: first(d.issuer, OID.commonName) ?? d.issuerDn,
        kind: certificateKind(d),
      };
    } catch {
      fail('FORMAT_FAILURE', reason('error', 'verify.cmsMalformed'));
    }
    if (v.indication !== 'TOTAL-FAILED') {
      const candidates = [...(cms?.certificatesDer ?? []), ...(cms?.timestamp?.certificatesDer ?? []), ...c.dss.certs];
      const path = c.trust.path(signerDer, candidates, poe);
      anchor = path.anchorName ?? null;
      if (path.warnings.includes('sha1-in-chain') || path.warnings.includes('sha1-leaf'))
        reasons.push(reason('warning', 'verify.sha1InChain'));
      switch (path.status) {
        case 'valid':
          break;
        case 'no-chain':
        case 'bad-signature':
          indeterminate('NO_CERTIFICATE_CHAIN_FOUND', reason('error', 'verify.noChain'));
          break;
        case 'expired':
          indeterminate('OUT_OF_BOUNDS_NO_POE', reason('error', 'verify.certExpiredNoPoe'));
          break;
        case 'not-yet-valid':
          fail('NOT_YET_VALID', reason('error', 'verify.certNotYetValid'));
          break;
        case 'weak-algorithm':
          indeterminate(
            'CRYPTO_CONSTRAINTS_FAILURE_NO_POE',
            reason('error', 'verify.weakAlgorithm', { detail: path.reasons.join(', ') }),
          );
          break;
        default:
          indeterminate(
            'CHAIN_CONSTRAINTS_FAILURE',
            reason('error', 'verify.chainConstraints', { detail: path.reasons.join(', ') }),
          );
      }
      if (path.status === 'valid' || path.status === 'expired') {
        const rev = await c.trust.revocation(path.chain, poe, { ocsps: c.dss.ocsps, crls: c.dss.crls }, c.offline);
        if (rev.status === 'revoked') {
          if (rev.revokedBeforeSigning)
            fail('REVOKED', reason('error', 'verify.revoked', { detail: rev.revocationTime?.toISOString() ?? '' }));
          else if (timeSource !== 'timestamp') indeterminate('REVOKED_NO_POE', reason('error', 'verify.revokedNoPoe'));
        } else if (rev.status === 'unknown') {
          indeterminate(
            'TRY_LATER',
            reason('error', 'verify.revocationUnknown', { detail: rev.detail ? `: ${rev.detail}` : '' }),
          );
        }
      }
    }
  }

  if (v.indication === 'TOTAL-PASSED') reasons.unshift(reason('info', 'verify.passed'));
  const hasLtaAfter = c.docTsTimes.some((d) => d.end > integ.signedEnd);
  const dssHasSigner =
    signerDer !== null &&
    c.dss.certs.some((x) => x.equals(signerDer)) &&
    (c.dss.ocsps.length > 0 || c.dss.crls.length > 0);
  const subFilter = c.reader.resolveValue(s.sig.get('SubFilter'));
  const cadesName =
    subFilter && typeof subFilter === 'object' && 'name' in subFilter
      ? String((subFilter as { name: string }).name)
      : '';
  let level: string | null = null;
  if (s.kind === 'sig' && cadesName === 'ETSI.CAdES.detached') {
    level = 'B-B';
    if (tsReport?.valid) level = 'B-T';
    if (level === 'B-T' && dssHasSigner) level = 'B-LT';
    if (level === 'B-LT' && hasLtaAfter) level = 'B-LTA';
  }
  return {
    field: s.fieldName,
    kind: s.kind === 'doc-timestamp' ? 'document-timestamp' : 'signature',
    signer,
    indication: v.indication,
    subIndication: v.sub,
    coverage: integ.coverage,
    modifications: {
      level: diff.level,
      objects: diff.changes.map((x) => ({ object: x.object, what: x.what, level: x.level })),
    },
    level,
    signingTime: signingTime ? signingTime.toISOString() : null,
    signingTimeSource: timeSource,
    timestamp: tsReport,
    certification: isCertification && c.mdp ? { permission: c.mdp.permission } : null,
    trustAnchor: anchor,
    reasons,
  };
}
