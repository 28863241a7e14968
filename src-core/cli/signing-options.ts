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

export interface SigningPlan {
  level: PadesLevel;
  tsaUrl?: string;
  pageIndex?: number;
  rect?: Rect;
  reason?: string;
  location?: string;
}

/** Validates the placement and level options (everything that needs no token). */
export function planFromOptions(v: SigningValues): SigningPlan {
  for (const opt of [
    'anchor',
    'signature-image',
    'seal-image',
    'doc-number',
    'doc-date',
    'copy-type',
    'comment',
  ] as const) {
    if (v[opt] !== undefined) throw new KysoError('NOT_IMPLEMENTED', 'sign.optionNotYet', { option: `--${opt}` });
  }
  if (v.profile !== undefined && v.profile !== 'approval') {
    throw new KysoError('NOT_IMPLEMENTED', 'sign.optionNotYet', { option: `--profile ${v.profile}` });
  }
  const level = (v.level ?? 'B-B').toUpperCase() as PadesLevel;
  if (!PADES_LEVELS.includes(level)) throw usage(`--level must be one of ${PADES_LEVELS.join(', ')}`);
  if (level !== 'B-B' && !v.tsa) throw usage(`--level ${level} needs --tsa URL`);
  if (v.tsa !== undefined && !/^https?:\/\//.test(v.tsa)) throw usage('--tsa must be an http(s) URL');
  const plan: SigningPlan = { level };
  if (v.tsa) plan.tsaUrl = v.tsa;
  if (v.reason) plan.reason = v.reason;
  if (v.location) plan.location = v.location;
  if (v.invisible && (v.rect || v.page)) throw usage('--invisible cannot be combined with --page/--rect');
  if (v.page !== undefined) {
    const n = Number(v.page);
    if (!Number.isInteger(n) || n < 1) throw usage('--page must be a page number from 1');
    plan.pageIndex = n - 1;
  }
  if (v.rect !== undefined) {
    const parts = v.rect.split(',').map(Number);
    if (parts.length !== 4 || parts.some((x) => !Number.isFinite(x)))
      throw usage('--rect must be x1,y1,x2,y2 in points');
    const [x1, y1, x2, y2] = parts as [number, number, number, number];
    if (x2 <= x1 || y2 <= y1) throw usage('--rect must have x2 > x1 and y2 > y1');
    plan.rect = [x1, y1, x2, y2];
    plan.pageIndex ??= 0;
  } else if (v.page !== undefined) throw usage('--page needs --rect (or use --invisible)');
  return plan;
}

export interface OpenedSigner {
  signer: DocumentSigner;
  certificate: CertificateSummary;
  session: TokenSession;
}

/** Chooses the token and certificate, logs in once (PIN from env/stdin/prompt) and returns the signer. */
export async function openTokenSigner(v: SigningValues, ctx: CliContext): Promise<OpenedSigner> {
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
