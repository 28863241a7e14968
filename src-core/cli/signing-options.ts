/**
 * Options shared by `kyso sign` and `kyso batch`, and the token-backed DocumentSigner they build:
 * one login, the chosen certificate, the chain from the token plus --trust files.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { KysoError } from '../../src-shared/errors.js';
import type { CertificateSummary } from '../../src-shared/api/token-types.js';
import type { MessageKey } from '../../src-shared/i18n/messages.js';
import { t } from '../../src-shared/i18n/translate.js';
import { loadPng } from '../appearance/image-xobject.js';
import { parseCalendarDate, parseCopyType } from '../appearance/roles/format.js';
import { planRole } from '../appearance/roles/profiles.js';
import { REQUIRED_KIND, requireKind, signerFacts } from '../appearance/roles/signer.js';
import { ROLE_PROFILES, type Polyline, type RolePlan, type RoleProfile } from '../appearance/roles/types.js';
import type { DocumentSigner, PadesLevel } from '../sign/sign-document.js';
import { PADES_LEVELS } from '../sign/sign-document.js';
import type { Rect } from '../sign/placement.js';
import { chooseToken } from '../token/token-service.js';
import { TokenSession } from '../token/token-session.js';
import type { CliContext } from './context.js';
import { readPin } from './pin-input.js';

export const SIGNING_OPTIONS = {
  output: { type: 'string', short: 'o' },
  module: { type: 'string', multiple: true },
  token: { type: 'string' },
  slot: { type: 'string' },
  cert: { type: 'string' },
  'pin-env': { type: 'string' },
  'pin-stdin': { type: 'boolean' },
  profile: { type: 'string' },
  level: { type: 'string' },
  tsa: { type: 'string' },
  page: { type: 'string' },
  rect: { type: 'string' },
  anchor: { type: 'string' },
  invisible: { type: 'boolean' },
  'signature-image': { type: 'string' },
  'seal-image': { type: 'string' },
  'doc-number': { type: 'string' },
  'doc-date': { type: 'string' },
  'copy-type': { type: 'string' },
  reason: { type: 'string' },
  location: { type: 'string' },
  comment: { type: 'string' },
  'seal-size': { type: 'string' },
  'seal-text': { type: 'boolean' },
  ink: { type: 'string' },
  trust: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export type SigningValues = {
  [K in keyof typeof SIGNING_OPTIONS]?: (typeof SIGNING_OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof SIGNING_OPTIONS)[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

const usage = (detail: string): KysoError => new KysoError('USAGE', 'error.usage', { detail });

/** Options of a role (--profile), checked and read before the token is touched. */
export interface RoleOptions {
  profile: RoleProfile;
  anchor?: string;
  signatureImage?: Buffer;
  sealImage?: Buffer;
  sealSizeMm?: number;
  sealText?: boolean;
  docNumber?: string;
  docDate?: string;
  copyType?: string;
  comment?: string;
  ink?: Polyline[];
}

export interface SigningPlan {
  level: PadesLevel;
  tsaUrl?: string;
  pageIndex?: number;
  rect?: Rect;
  reason?: string;
  location?: string;
  /** A Decree 30 role: the stamp is laid out per file by planRole (absent: a plain signature). */
  role?: RoleOptions;
  invisible?: boolean;
}

type RoleOption =
  | 'anchor'
  | 'signature-image'
  | 'seal-image'
  | 'seal-size'
  | 'seal-text'
  | 'doc-number'
  | 'doc-date'
  | 'copy-type'
  | 'comment'
  | 'ink';
const ROLE_OPTIONS: readonly RoleOption[] = [
  'anchor',
  'signature-image',
  'seal-image',
  'seal-size',
  'seal-text',
  'doc-number',
  'doc-date',
  'copy-type',
  'comment',
  'ink',
];

/** Which role options each profile uses (anything else is a usage error, not silently ignored). */
const PROFILE_OPTIONS: Record<RoleProfile, readonly RoleOption[]> = {
  approval: ['anchor', 'signature-image'],
  initials: ['anchor', 'signature-image'],
  issue: ['anchor', 'seal-image', 'seal-size', 'seal-text', 'doc-number', 'doc-date'],
  appendix: ['anchor', 'doc-number'],
  copy: ['anchor', 'copy-type'],
  received: ['doc-number', 'doc-date'],
  comment: ['anchor', 'signature-image', 'comment', 'ink'],
};

function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path });
  }
}

/** --ink FILE.json: [[[x, y], [x, y], …], …] — polylines in visible page coordinates (points). */
export function readInk(path: string): Polyline[] {
  const bad = (detail: string): KysoError => new KysoError('INPUT_MALFORMED', 'roles.badInk', { path, detail });
  const raw = readInput(path);
  if (raw.length > 4 * 1024 * 1024) throw bad('larger than 4 MB');
  let data: unknown;
  try {
    data = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw bad(e instanceof Error ? e.message : 'not JSON');
  }
  if (!Array.isArray(data) || data.length === 0 || data.length > 1000) throw bad('expected 1 to 1000 polylines');
  let points = 0;
  return data.map((line, i) => {
    if (!Array.isArray(line) || line.length === 0) throw bad(`polyline ${i + 1} is not a list of points`);
    points += line.length;
    if (points > 100000) throw bad('more than 100000 points');
    return line.map((pt, k) => {
      if (!Array.isArray(pt) || pt.length !== 2 || !pt.every((n) => typeof n === 'number' && Number.isFinite(n))) {
        throw bad(`point ${k + 1} of polyline ${i + 1} is not [x, y]`);
      }
      return [pt[0] as number, pt[1] as number] as [number, number];
    });
  });
}

function roleFromOptions(v: SigningValues, plan: SigningPlan): RoleOptions | undefined {
  const given = ROLE_OPTIONS.filter((o) => v[o] !== undefined);
  let profile: RoleProfile | undefined;
  if (v.profile !== undefined) {
    if (!(ROLE_PROFILES as readonly string[]).includes(v.profile)) {
      throw new KysoError('USAGE', 'roles.badProfile', { value: v.profile, allowed: ROLE_PROFILES.join(', ') });
    }
    profile = v.profile as RoleProfile;
  } else if (given.length > 0) profile = 'approval';
  if (!profile) return undefined;
  for (const o of given) {
    if (!PROFILE_OPTIONS[profile].includes(o)) {
      throw new KysoError('USAGE', 'roles.optionNotForProfile', { option: `--${o}`, profile });
    }
  }
  if (v.anchor !== undefined && v.rect !== undefined) throw usage('--anchor cannot be combined with --rect');
  if (plan.invisible && profile !== 'approval') {
    throw new KysoError('USAGE', 'roles.optionNotForProfile', { option: '--invisible', profile });
  }
  const role: RoleOptions = { profile };
  if (v.anchor !== undefined) {
    if (!v.anchor.trim()) throw usage('--anchor needs some text');
    role.anchor = v.anchor;
  }
  // Images are decoded and validated here, before the PIN is asked: a bad file fails fast.
  if (v['signature-image'] !== undefined) {
    role.signatureImage = readInput(v['signature-image']);
    loadPng(role.signatureImage, { requireTransparency: true });
  }
  if (v['seal-image'] !== undefined) {
    role.sealImage = readInput(v['seal-image']);
    loadPng(role.sealImage, { requireTransparency: true });
  }
  if (v['seal-size'] !== undefined) {
    const mm = Number(v['seal-size']);
    if (!Number.isFinite(mm) || mm < 10 || mm > 100)
      throw usage("--seal-size must be the seal's width in mm, 10 to 100");
    role.sealSizeMm = mm;
  }
  if (v['seal-text']) role.sealText = true;
  if (v['doc-number'] !== undefined) {
    if (!v['doc-number'].trim()) throw usage('--doc-number needs a value');
    role.docNumber = v['doc-number'];
  }
  if (v['doc-date'] !== undefined) {
    parseCalendarDate(v['doc-date']);
    role.docDate = v['doc-date'];
  }
  if (v['copy-type'] !== undefined) role.copyType = parseCopyType(v['copy-type']);
  if (v.comment !== undefined) role.comment = v.comment;
  if (v.ink !== undefined) role.ink = readInk(v.ink);
  // What each profile cannot do without (also checked by planRole; here it fails before the PIN).
  const need = (o: RoleOption, ok: boolean): void => {
    if (!ok) throw new KysoError('USAGE', 'roles.needOption', { option: `--${o}`, profile });
  };
  if (profile === 'issue') need('seal-image', role.sealImage !== undefined);
  if (profile === 'appendix' || profile === 'received') need('doc-number', role.docNumber !== undefined);
  if (profile === 'comment') need('comment', (role.comment ?? '').trim() !== '');
  return role;
}

/** Validates the placement, level and role options (everything that needs no token). */
export function planFromOptions(v: SigningValues): SigningPlan {
  const level = (v.level ?? 'B-B').toUpperCase() as PadesLevel;
  if (!PADES_LEVELS.includes(level)) throw usage(`--level must be one of ${PADES_LEVELS.join(', ')}`);
  if (level !== 'B-B' && !v.tsa) throw usage(`--level ${level} needs --tsa URL`);
  if (v.tsa !== undefined && !/^https?:\/\//.test(v.tsa)) throw usage('--tsa must be an http(s) URL');
  const plan: SigningPlan = { level };
  if (v.tsa) plan.tsaUrl = v.tsa;
  if (v.reason) plan.reason = v.reason;
  if (v.location) plan.location = v.location;
  if (v.invisible && (v.rect || v.page)) throw usage('--invisible cannot be combined with --page/--rect');
  if (v.invisible && v.anchor !== undefined) throw usage('--invisible cannot be combined with --anchor');
  if (v.invisible) plan.invisible = true;
  if (v.page !== undefined) {
    const n = Number(v.page);
    if (!Number.isInteger(n) || n < 1) throw usage('--page must be a page number from 1');
    plan.pageIndex = n - 1;
  }
  const role = roleFromOptions(v, plan);
  if (role) plan.role = role;
  if (v.rect !== undefined) {
    const parts = v.rect.split(',').map(Number);
    if (parts.length !== 4 || parts.some((x) => !Number.isFinite(x)))
      throw usage('--rect must be x1,y1,x2,y2 in points');
    const [x1, y1, x2, y2] = parts as [number, number, number, number];
    if (x2 <= x1 || y2 <= y1) throw usage('--rect must have x2 > x1 and y2 > y1');
    plan.rect = [x1, y1, x2, y2];
    plan.pageIndex ??= 0;
  } else if (v.page !== undefined && !role) throw usage('--page needs --rect (or use --invisible or a --profile)');
  return plan;
}

/**
 * The Decree 30 layout of one file: the stamp, the annotations of the revision and warnings.
 * Null for a plain signature (no --profile, or an invisible approval).
 */
export async function rolePlanFor(
  plan: SigningPlan,
  input: string,
  signer: DocumentSigner,
  signingTime: Date,
): Promise<RolePlan | null> {
  if (!plan.role) return null;
  if (plan.invisible) {
    requireKind(plan.role.profile, signerFacts(signer.certDer));
    return null;
  }
  return planRole({
    ...plan.role,
    input,
    signerCertDer: signer.certDer,
    signingTime,
    ...(plan.pageIndex !== undefined ? { pageIndex: plan.pageIndex } : {}),
    ...(plan.rect ? { rect: plan.rect } : {}),
    ...(plan.reason ? { reason: plan.reason } : {}),
    ...(plan.location ? { location: plan.location } : {}),
  });
}

/** The certificate kind a profile needs, checked on the token's listing before the PIN is asked. */
export function checkCertificateKind(plan: SigningPlan, certificate: CertificateSummary): void {
  if (!plan.role) return;
  const need = REQUIRED_KIND[plan.role.profile];
  if (certificate.kind === need) return;
  throw new KysoError('USAGE', need === 'personal' ? 'roles.needPersonalCert' : 'roles.needOrganisationCert', {
    profile: plan.role.profile,
    subject: certificate.subject.commonName,
  });
}

export interface OpenedSigner {
  signer: DocumentSigner;
  certificate: CertificateSummary;
  session: TokenSession;
}

/** Chooses the token and certificate, logs in once (PIN from env/stdin/prompt) and returns the signer. */
export async function openTokenSigner(
  v: SigningValues,
  ctx: CliContext,
  beforeLogin?: (certificate: CertificateSummary) => void,
): Promise<OpenedSigner> {
  const slotIndex = v.slot === undefined ? undefined : Number(v.slot);
  if (slotIndex !== undefined && (!Number.isInteger(slotIndex) || slotIndex < 0))
    throw usage('--slot must be a number from 0');
  const choice = chooseToken({
    explicit: v.module ?? [],
    env: ctx.env,
    ...(v.token !== undefined ? { label: v.token } : {}),
    ...(slotIndex !== undefined ? { slotIndex } : {}),
  });
  const certificate = pickCertificate(choice.token.certificates, v.cert, ctx);
  beforeLogin?.(certificate);
  const session = new TokenSession(choice.module, choice.slot);
  const pin =
    choice.token.pin.pinPad && !v['pin-env'] && !v['pin-stdin']
      ? null
      : await readPin({ pinEnv: v['pin-env'], pinStdin: v['pin-stdin'] }, ctx.env, t(ctx.locale, 'sign.pinPrompt'));
  await session.login(pin);

  const onToken = session.certificates();
  const leaf = onToken.find((c) => c.id.toString('hex') === certificate.id);
  if (!leaf) throw new KysoError('KEY_NOT_FOUND', 'error.certNotFound', { id: certificate.id });
  const pool = [...onToken.map((c) => c.decoded.der), ...(v.trust ?? []).flatMap(readPems)];
  const chainDers = chainOf(leaf.decoded.der, pool).slice(1);
  const scheme = certificate.keyAlgorithm.startsWith('EC') ? 'ECDSA' : 'RSA-PKCS1';
  // The token signs one thing at a time; a batch may prepare the next file meanwhile.
  let queue: Promise<unknown> = Promise.resolve();
  const signer: DocumentSigner = {
    certDer: leaf.decoded.der,
    chainDers,
    scheme,
    sign: (tbs, hash) => {
      const run = queue.then(async () => {
        const r = await session.sign(tbs, { certId: certificate.id, hash });
        return { signature: r.signature, scheme: r.plan.scheme };
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
  return { signer, certificate, session };
}

function pickCertificate(certs: CertificateSummary[], wanted: string | undefined, ctx: CliContext): CertificateSummary {
  if (wanted !== undefined) {
    const c = certs.find((x) => x.id.toLowerCase() === wanted.toLowerCase());
    if (!c) throw new KysoError('KEY_NOT_FOUND', 'error.certNotFound', { id: wanted });
    if (!c.usable) {
      throw new KysoError('KEY_UNUSABLE', 'sign.certUnusable', {
        id: wanted,
        reasons: c.problems.map((p) => t(ctx.locale, p as MessageKey)).join('; '),
      });
    }
    return c;
  }
  const usable = certs.filter((c) => c.usable);
  if (usable.length === 0) throw new KysoError('KEY_NOT_FOUND', 'sign.noUsableCert');
  if (usable.length > 1) {
    throw new KysoError('USAGE', 'sign.certAmbiguous', {
      ids: usable.map((c) => `${c.id} (${c.subject.commonName})`).join(', '),
    });
  }
  return usable[0]!;
}

function readPems(path: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path });
  }
  const out: Buffer[] = [];
  for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  }
  if (out.length === 0)
    throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', { detail: `${path}: no certificate` });
  return out;
}

/** leaf, issuer, issuer's issuer … as far as the pool goes (signatures checked, not just names). */
export function chainOf(leaf: Buffer, pool: Buffer[]): Buffer[] {
  const out = [leaf];
  let cur = new X509Certificate(leaf);
  for (let i = 0; i < 8; i++) {
    if (cur.checkIssued(cur) && cur.verify(cur.publicKey)) break;
    const issuerDer = pool.find((p) => {
      const c = new X509Certificate(p);
      return cur.checkIssued(c) && cur.verify(c.publicKey);
    });
    if (!issuerDer) break;
    out.push(issuerDer);
    cur = new X509Certificate(issuerDer);
  }
  return out;
}
