/**
 * RFC 3161 client: one HTTP POST (application/timestamp-query), and a reply we accept only when
 * it answers our query — status granted, our nonce, our imprint — and is signed by a TSA
 * certificate that is allowed to stamp (critical EKU timeStamping). See docs/cms.md for the
 * retry policy (http-exchange.ts) and why nothing is retried on a bad answer.
 */
import { createHash, randomBytes } from 'node:crypto';
import { KysoError } from '../../src-shared/errors.js';
import {
  bool,
  children,
  content,
  ctx,
  expect,
  integer,
  isCtx,
  octets,
  oid,
  parse,
  readSmallInt,
  seq,
  setOf,
  TAG,
  toDefinite,
} from './der.js';
import { httpExchange } from './http-exchange.js';
import type { FetchLike } from './http-exchange.js';
import { HASH_LENGTH, HASH_OID, nodeHash, OID } from './oids.js';
import type { SigningHash } from './oids.js';
import { parseSignedData, replaceSignerInfos } from './signed-data.js';
import type { SignedData } from './signed-data.js';
import { verifyTimestampToken } from './timestamp-token.js';

export const DEFAULT_TSA_TIMEOUT_MS = 15_000;
/** A token with a long chain is a few KiB; anything near this is not a timestamp reply. */
const MAX_REPLY_BYTES = 256 * 1024;

export interface TimestampRequestOptions {
  url: string;
  /** The stamped data; hashed here with `hash`. Give either data or digest. */
  data?: Buffer;
  digest?: Buffer;
  /** Imprint hash. Default SHA-256. */
  hash?: SigningHash;
  /** Default: a random 64-bit nonce. false sends none (some TSAs refuse nonces; rare). */
  nonce?: bigint | false;
  /** Ask the TSA to include its certificate. Default true: we must check its EKU. */
  certReq?: boolean;
  policyOid?: string;
  timeoutMs?: number;
  /** e.g. Authorization for commercial TSAs. */
  headers?: Readonly<Record<string, string>>;
  fetchImpl?: FetchLike;
  retryDelayMs?: number;
}

export interface TimestampResult {
  /** ContentInfo DER of the TimeStampToken: what goes into the unsigned attribute. */
  token: Buffer;
  genTime: Date;
  tsaCertDer: Buffer;
  /** TSTInfo serial number, upper-case hex. */
  serial: string;
  policy: string;
  status: 'granted' | 'grantedWithMods';
}

const STATUS_NAMES = [
  'granted',
  'grantedWithMods',
  'rejection',
  'waiting',
  'revocationWarning',
  'revocationNotification',
];
// PKIFailureInfo bits (RFC 3161 2.4.2).
const FAIL_INFO: Record<number, string> = {
  0: 'badAlg',
  2: 'badRequest',
  5: 'badDataFormat',
  14: 'timeNotAvailable',
  15: 'unacceptedPolicy',
  16: 'unacceptedExtension',
  17: 'addInfoNotAvailable',
  25: 'systemFailure',
};

function randomNonce(): bigint {
  // 64 bits, first bit cleared so the INTEGER needs no sign octet and never is zero-length.
  const b = randomBytes(8);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return BigInt(`0x${b.toString('hex')}`);
}

export function buildTimestampQuery(o: {
  hash: SigningHash;
  digest: Buffer;
  nonce: bigint | null;
  certReq: boolean;
  policyOid?: string;
}): Buffer {
  return seq(
    integer(1),
    seq(seq(oid(HASH_OID[o.hash])), octets(o.digest)),
    ...(o.policyOid ? [oid(o.policyOid)] : []),
    ...(o.nonce !== null ? [integer(o.nonce)] : []),
    // certReq is DEFAULT FALSE: DER leaves it out unless true.
    ...(o.certReq ? [bool(true)] : []),
  );
}

function failInfoNames(bits: Buffer | undefined): string[] {
  if (!bits || bits.length < 2) return [];
  const names: string[] = [];
  for (let i = 0; i < (bits.length - 1) * 8; i++) {
    if (bits[1 + (i >> 3)]! & (0x80 >> (i & 7))) names.push(FAIL_INFO[i] ?? `bit${i}`);
  }
  return names;
}

export async function requestTimestamp(o: TimestampRequestOptions): Promise<TimestampResult> {
  const hash = o.hash ?? 'SHA-256';
  let digest: Buffer;
  if (o.digest !== undefined) digest = o.digest;
  else if (o.data !== undefined) digest = createHash(nodeHash(hash)).update(o.data).digest();
  else throw new KysoError('CMS_INPUT_INVALID', 'cms.inputInvalid', { detail: 'timestamp: data or digest required' });
  if (digest.length !== HASH_LENGTH[hash]) {
    throw new KysoError('CMS_INPUT_INVALID', 'cms.inputInvalid', { detail: `timestamp: digest is not ${hash}` });
  }
  const nonce = o.nonce === false ? null : (o.nonce ?? randomNonce());
  const query = buildTimestampQuery({
    hash,
    digest,
    nonce,
    certReq: o.certReq ?? true,
    ...(o.policyOid ? { policyOid: o.policyOid } : {}),
  });
  const reply = await httpExchange({
    url: o.url,
    family: 'tsa',
    method: 'POST',
    body: query,
    requestType: 'application/timestamp-query',
    // timestamp-response is what some older servers (and RFC 3161 drafts) send.
    responseTypes: ['application/timestamp-reply', 'application/timestamp-response'],
    timeoutMs: o.timeoutMs ?? DEFAULT_TSA_TIMEOUT_MS,
    maxBytes: MAX_REPLY_BYTES,
    ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}),
    ...(o.retryDelayMs !== undefined ? { retryDelayMs: o.retryDelayMs } : {}),
    ...(o.headers ? { headers: o.headers } : {}),
  });
  return readTimestampReply(reply, { hash, digest, nonce });
}

/** Checks a TimeStampResp against the query it answers. Exposed for tests and offline replies. */
export function readTimestampReply(
  reply: Buffer,
  asked: { hash: SigningHash; digest: Buffer; nonce: bigint | null },
): TimestampResult {
  let status: number;
  let statusText = '';
  let failBits: Buffer | undefined;
  let tokenDer: Buffer | undefined;
  try {
    const [statusInfo, token] = children(expect(parse(reply), TAG.sequence, 'TimeStampResp'));
    const si = children(expect(statusInfo, TAG.sequence, 'PKIStatusInfo'));
    status = readSmallInt(si[0], 'status');
    for (const n of si.slice(1)) {
      if (n.tagByte === TAG.sequence) {
        statusText = children(n)
          .map((t) => content(t).toString('utf8'))
          .join(' ');
      } else if (n.tagByte === TAG.bitString) failBits = content(n);
    }
    if (token) tokenDer = toDefinite(token);
  } catch (e) {
    throw new KysoError('TSA_RESPONSE_MALFORMED', 'cms.tsa.malformed', {
      detail: e instanceof Error ? e.message : 'unreadable',
    });
  }
  if (status !== 0 && status !== 1) {
    const text = [statusText, ...failInfoNames(failBits)].filter(Boolean).join('; ') || '-';
    throw new KysoError('TSA_REJECTED', 'cms.tsa.rejected', { status: STATUS_NAMES[status] ?? String(status), text });
  }
  if (!tokenDer)
    throw new KysoError('TSA_RESPONSE_MALFORMED', 'cms.tsa.malformed', { detail: 'granted without a token' });

  const check = verifyTimestampToken(tokenDer, { expected: { digest: { hash: asked.hash, value: asked.digest } } });
  if (!check.tst) {
    throw new KysoError('TSA_RESPONSE_MALFORMED', 'cms.tsa.malformed', {
      detail: check.errors.join('; ') || 'no TSTInfo',
    });
  }
  if (!check.tsaCertDer) {
    throw new KysoError('TSA_SIGNATURE_INVALID', 'cms.tsa.badSignature', {
      detail: 'the token carries no TSA certificate',
    });
  }
  if (!check.signatureValid || !check.essOk) {
    const detail =
      check.errors.filter((e) => !e.startsWith('timestamp-eku') && e !== 'timestamp-imprint-mismatch').join('; ') ||
      'invalid';
    throw new KysoError('TSA_SIGNATURE_INVALID', 'cms.tsa.badSignature', { detail });
  }
  // Signature first: a reply altered in transit is reported as such, not as a foreign answer.
  if (check.imprintOk !== true) throw new KysoError('TSA_IMPRINT_MISMATCH', 'cms.tsa.imprintMismatch');
  const gotNonce = check.tst.nonceHex === undefined ? undefined : BigInt(`0x${check.tst.nonceHex}`);
  if (asked.nonce !== null && gotNonce !== asked.nonce) {
    throw new KysoError('TSA_NONCE_MISMATCH', 'cms.tsa.nonceMismatch');
  }
  if (!check.ekuOk) {
    throw new KysoError('TSA_CERTIFICATE_INVALID', 'cms.tsa.certificate', { detail: 'no critical timeStamping EKU' });
  }
  return {
    token: tokenDer,
    genTime: check.tst.genTime,
    tsaCertDer: check.tsaCertDer,
    serial: check.tst.serialHex,
    policy: check.tst.policy,
    status: status === 0 ? 'granted' : 'grantedWithMods',
  };
}

/**
 * Adds a signature timestamp (id-aa-signatureTimeStampToken) to the single SignerInfo of a CMS,
 * e.g. to upgrade a B-B signature made offline to B-T. Everything signed keeps its bytes; the
 * token must stamp this signature value (checked, so a token for another signature cannot slip in).
 */
export function addTimestampToSignedData(cmsDer: Buffer, timestampToken: Buffer): Buffer {
  let sd: SignedData;
  try {
    sd = parseSignedData(cmsDer);
  } catch (e) {
    throw new KysoError('CMS_INPUT_INVALID', 'cms.inputInvalid', { detail: e instanceof Error ? e.message : 'CMS' });
  }
  if (sd.signerInfos.length !== 1) {
    throw new KysoError('CMS_INPUT_INVALID', 'cms.inputInvalid', { detail: `${sd.signerInfos.length} signers` });
  }
  const si = sd.signerInfos[0]!;
  const check = verifyTimestampToken(timestampToken, { expected: { data: si.signature } });
  if (!check.tst) {
    throw new KysoError('TSA_RESPONSE_MALFORMED', 'cms.tsa.malformed', {
      detail: check.errors.join('; ') || 'no TSTInfo',
    });
  }
  if (check.imprintOk !== true) throw new KysoError('TSA_IMPRINT_MISMATCH', 'cms.tsa.imprintMismatch');
  const attr = seq(oid(OID.signatureTimeStampToken), setOf([toDefinite(parse(timestampToken))]));
  const fields = children(si.node);
  const last = fields[fields.length - 1]!;
  const kept = isCtx(last, 1) ? fields.slice(0, -1) : fields;
  const unsigned = [...si.unsignedAttrs.map((a) => a.raw), attr];
  const signerInfo = seq(...kept.map((n) => toDefinite(n)), ctx(1, Buffer.concat(unsigned.sort(Buffer.compare))));
  return replaceSignerInfos(sd, setOf([signerInfo]));
}
