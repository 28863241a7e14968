/**
 * Certificate path validation for the verifier (validator checklist item 6): build leaf → … →
 * anchor from every certificate we were given (CMS, DSS, token) and the trust store, then check
 * each certificate at the validation time — normally the best proof-of-existence time (the
 * signature timestamp), so a certificate that expired after a timestamped signing still passes.
 *
 * RFC 5280 6.1 in the parts that matter for document signing: signatures, validity, name chaining
 * by exact DER, basicConstraints (cA, pathLen), keyUsage, unknown critical extensions. Not done:
 * certificate policies and name constraints (a critical nameConstraints fails the path instead of
 * being ignored). Revocation is revocation-check.ts.
 *
 * SHA-1: VGCA G1 (2010–2030) is SHA-1 throughout and still in production tokens. A SHA-1 signature
 * on a CA certificate is accepted when the path ends at a pinned government anchor, as the warning
 * `sha1-in-chain`; on the signer's own certificate it fails (`weak-leaf-signature`); MD5 always fails.
 */
import type { MessageKey } from '../../src-shared/i18n/messages.js';
import { certFacts, verifyCertSignature } from './cert-facts.js';
import type { CertFacts, CertSignatureCheck } from './cert-facts.js';
import type { TrustedCertificate, TrustStore } from './trust-store.js';

export type PathStatus =
  'valid' | 'no-chain' | 'expired' | 'not-yet-valid' | 'constraints' | 'bad-signature' | 'weak-algorithm';

export interface PathProblem {
  /** Stable code, e.g. `expired`, `not-a-ca`, `weak-leaf-signature`. */
  code: string;
  status: Exclude<PathStatus, 'valid'>;
  /** Index in `chain` (0 = leaf). */
  cert: number;
  detail?: string;
}

export interface PathResult {
  ok: boolean;
  status: PathStatus;
  /** Leaf first, anchor last; for no-chain, as far as it could be built. */
  chain: Buffer[];
  /** Pinned anchors by pin id; user-added ones as id 'user'. */
  anchor?: { id: string; name: string };
  failingCert?: number;
  warnings: string[];
  /** `code: cert N (detail)` for every problem, most serious first. */
  reasons: string[];
  problems: PathProblem[];
}

export interface ValidatePathOptions {
  leafDer: Buffer;
  /** Certificates that may be intermediates: from the CMS, the DSS, the token. Order does not matter. */
  candidates?: readonly Buffer[];
  store: TrustStore;
  /** Validation time; default now. */
  at?: Date;
  /** Accept SHA-1-signed CA certificates under a pinned anchor (with a warning). Default true. */
  allowSha1ForAnchoredCAs?: boolean;
  /**
   * Accept a SHA-1-signed signer certificate under a pinned anchor, as the warning `sha1-leaf`.
   * Default false. Real G1 signer certificates (e.g. issued by "Co quan chung thuc so Chinh phu"
   * in 2015) are signed with SHA-1, so with the default every such signer fails: a policy switch
   * for deployments that must still read G1 documents.
   */
  allowSha1LeafUnderPinnedAnchor?: boolean;
}

/** What to show for a status; params: cert (subject CN), anchor, time, detail. */
export const PATH_STATUS_MESSAGES: Readonly<Record<PathStatus, MessageKey>> = {
  valid: 'trust.path.valid',
  'no-chain': 'trust.path.noChain',
  expired: 'trust.path.expired',
  'not-yet-valid': 'trust.path.notYetValid',
  constraints: 'trust.path.constraints',
  'bad-signature': 'trust.path.badSignature',
  'weak-algorithm': 'trust.path.weakAlgorithm',
};

/** Warnings people should see (the others are diagnostics). */
export const PATH_WARNING_MESSAGES: Readonly<Record<string, MessageKey>> = {
  'sha1-in-chain': 'trust.warning.sha1InChain',
  'sha1-leaf': 'trust.warning.sha1Leaf',
  'leaf-no-key-usage': 'trust.warning.leafNoKeyUsage',
};

/** Beyond any real hierarchy (VGCA is two levels); stops loops and crafted candidate sets. */
const MAX_DEPTH = 8;
const MAX_PATHS = 16;
const MAX_CANDIDATES = 256;
const MAX_STEPS = 2_000;

const SEVERITY: Record<Exclude<PathStatus, 'valid'>, number> = {
  'bad-signature': 0,
  'weak-algorithm': 1,
  constraints: 2,
  expired: 3,
  'not-yet-valid': 4,
  'no-chain': 5,
};

interface Node {
  facts: CertFacts;
  trusted?: TrustedCertificate;
}

interface Built {
  nodes: Node[];
  /** checks[i]: the signature on nodes[i] by nodes[i + 1]. */
  checks: CertSignatureCheck[];
}

interface DeadEnd {
  nodes: Node[];
  code: 'issuer-not-found' | 'untrusted-root' | 'path-too-long';
}

interface SignatureFailure {
  nodes: Node[];
  issuer: Node;
  problem: string;
}

/** Validates the signer's certificate: the leaf must be allowed to sign (digitalSignature or nonRepudiation). */
export function validatePath(o: ValidatePathOptions): PathResult {
  return validate(o.leafDer, o, 'leaf');
}

/**
 * Validates a CA certificate as the target (e.g. an issuing CA against its root): the target must be
 * a CA and its SHA-1 signature is judged by the CA rule, not the leaf rule.
 */
export function validateCaPath(o: Omit<ValidatePathOptions, 'leafDer'> & { caDer: Buffer }): PathResult {
  return validate(o.caDer, o, 'ca');
}

function unreadable(detail: string): PathResult {
  const problem: PathProblem = { code: 'leaf-unreadable', status: 'no-chain', cert: 0, detail };
  return {
    ok: false,
    status: 'no-chain',
    chain: [],
    failingCert: 0,
    warnings: [],
    reasons: [reasonOf(problem)],
    problems: [problem],
  };
}

function reasonOf(p: PathProblem): string {
  return `${p.code}: cert ${p.cert}${p.detail ? ` (${p.detail})` : ''}`;
}

function validate(targetDer: Buffer, o: Omit<ValidatePathOptions, 'leafDer'>, target: 'leaf' | 'ca'): PathResult {
  const at = o.at ?? new Date();
  const warnings: string[] = [];
  let leaf: CertFacts;
  try {
    leaf = certFacts(Buffer.from(targetDer));
  } catch (e) {
    return unreadable(e instanceof Error ? e.message : 'not a certificate');
  }

  // The pool: store first (so a stored, pinned copy wins over an identical candidate), then candidates.
  const pool = new Map<string, Node>();
  for (const t of [...o.store.anchors(), ...o.store.intermediates()]) {
    try {
      pool.set(t.sha256, { facts: certFacts(t.der), trusted: t });
    } catch {
      // The store only holds parsed certificates; nothing to do.
    }
  }
  let unreadableCount = 0;
  for (const der of (o.candidates ?? []).slice(0, MAX_CANDIDATES)) {
    try {
      const f = certFacts(Buffer.from(der));
      if (!pool.has(f.sha256)) pool.set(f.sha256, { facts: f });
    } catch {
      unreadableCount++;
    }
  }
  if (unreadableCount > 0) warnings.push(`candidate-unreadable: ${unreadableCount}`);
  if ((o.candidates?.length ?? 0) > MAX_CANDIDATES) warnings.push(`candidates-truncated: ${MAX_CANDIDATES}`);

  const start: Node = pool.get(leaf.sha256) ?? { facts: leaf };
  const complete: Built[] = [];
  const deadEnds: DeadEnd[] = [];
  const sigFailures: SignatureFailure[] = [];

  const isAnchor = (n: Node): boolean => n.trusted?.kind === 'anchor';
  const issuersOf = (n: Node, path: Node[]): Node[] => {
    const seen = new Set(path.map((p) => p.facts.sha256));
    const list = [...pool.values()].filter(
      (c) => c.facts.info.subjectDer.equals(n.facts.info.issuerDer) && !seen.has(c.facts.sha256),
    );
    const rank = (c: Node): number =>
      (isAnchor(c) ? 0 : 4) +
      (n.facts.authorityKeyId && !n.facts.authorityKeyId.equals(c.facts.subjectKeyId) ? 2 : 0) +
      (at < c.facts.info.notBefore || at > c.facts.info.notAfter ? 1 : 0);
    return list.sort((a, b) => rank(a) - rank(b));
  };

  // Same-name CAs sharing a key (crafted, or a re-issued CA) make the search a dense graph: each
  // signature is checked once, and the number of steps is bounded whatever the input.
  const signatures = new Map<string, CertSignatureCheck>();
  const signatureOf = (cert: Node, issuer: Node): CertSignatureCheck => {
    const key = `${cert.facts.sha256}/${issuer.facts.sha256}`;
    let check = signatures.get(key);
    if (!check) {
      check = verifyCertSignature(cert.facts, issuer.facts);
      signatures.set(key, check);
    }
    return check;
  };
  let steps = 0;

  const walk = (path: Node[], checks: CertSignatureCheck[]): void => {
    if (complete.length >= MAX_PATHS) return;
    if (++steps > MAX_STEPS) {
      if (!warnings.includes('path-search-truncated')) warnings.push('path-search-truncated');
      return;
    }
    const cur = path[path.length - 1]!;
    if (isAnchor(cur)) {
      complete.push({ nodes: path, checks });
      return;
    }
    if (path.length >= MAX_DEPTH) {
      deadEnds.push({ nodes: path, code: 'path-too-long' });
      return;
    }
    const issuers = issuersOf(cur, path);
    if (issuers.length === 0) {
      deadEnds.push({ nodes: path, code: cur.facts.selfIssued ? 'untrusted-root' : 'issuer-not-found' });
      return;
    }
    let signed = false;
    for (const issuer of issuers) {
      const check = signatureOf(cur, issuer);
      if (!check.ok) {
        sigFailures.push({ nodes: path, issuer, problem: check.problem ?? 'signature does not verify' });
        continue;
      }
      signed = true;
      walk([...path, issuer], [...checks, check]);
    }
    // Only namesakes that did not sign it: as good as no issuer at all.
    if (!signed) deadEnds.push({ nodes: path, code: 'issuer-not-found' });
  };
  walk([start], []);

  if (complete.length === 0) return noPath(start, deadEnds, sigFailures, warnings);

  const policy: Sha1Policy = {
    caUnderPin: o.allowSha1ForAnchoredCAs ?? true,
    leafUnderPin: o.allowSha1LeafUnderPinnedAnchor ?? false,
  };
  let best: PathResult | undefined;
  for (const built of complete) {
    const r = evaluate(built, at, target, policy, warnings);
    if (r.ok) return r;
    if (
      !best ||
      SEVERITY[r.status as Exclude<PathStatus, 'valid'>] > SEVERITY[best.status as Exclude<PathStatus, 'valid'>]
    ) {
      // Of the failing paths, show the one that failed least badly (e.g. only an expired certificate).
      best = r;
    }
  }
  return best!;
}

/**
 * No path reached an anchor. A name match whose signature fails is only reported as a bad signature
 * when the certificate points at that very key (authorityKeyIdentifier = the issuer's key id):
 * otherwise it is a different CA that happens to share the name (a re-keyed CA, a test hierarchy).
 */
function noPath(start: Node, deadEnds: DeadEnd[], sigFailures: SignatureFailure[], warnings: string[]): PathResult {
  const forged = sigFailures.find((f) => {
    const cert = f.nodes[f.nodes.length - 1]!.facts;
    return cert.authorityKeyId !== undefined && cert.authorityKeyId.equals(f.issuer.facts.subjectKeyId);
  });
  if (forged) {
    const index = forged.nodes.length - 1;
    const problem: PathProblem = {
      code: 'bad-signature',
      status: 'bad-signature',
      cert: index,
      detail: forged.problem,
    };
    return {
      ok: false,
      status: 'bad-signature',
      chain: [...forged.nodes, forged.issuer].map((n) => n.facts.info.der),
      failingCert: index,
      warnings,
      reasons: [reasonOf(problem)],
      problems: [problem],
    };
  }
  const longest = [...deadEnds].sort((a, b) => b.nodes.length - a.nodes.length)[0] ?? {
    nodes: [start],
    code: 'issuer-not-found' as const,
  };
  const index = longest.nodes.length - 1;
  const problem: PathProblem = { code: longest.code, status: 'no-chain', cert: index };
  if (sigFailures.length > 0)
    problem.detail = `${sigFailures.length} certificate(s) with the issuer's name did not sign it`;
  return {
    ok: false,
    status: 'no-chain',
    chain: longest.nodes.map((n) => n.facts.info.der),
    failingCert: index,
    warnings,
    reasons: [reasonOf(problem)],
    problems: [problem],
  };
}

function iso(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

interface Sha1Policy {
  caUnderPin: boolean;
  leafUnderPin: boolean;
}

function evaluate(
  built: Built,
  at: Date,
  target: 'leaf' | 'ca',
  sha1: Sha1Policy,
  baseWarnings: readonly string[],
): PathResult {
  const { nodes, checks } = built;
  const n = nodes.length;
  const anchorNode = nodes[n - 1]!;
  const trusted = anchorNode.trusted!;
  // Pinned is a fact about the bytes, whoever added them.
  const pinnedAnchor = trusted.pin !== undefined;
  const problems: PathProblem[] = [];
  const warnings = [...baseWarnings];
  const add = (code: string, status: PathProblem['status'], cert: number, detail?: string): void => {
    const p: PathProblem = { code, status, cert };
    if (detail) p.detail = detail;
    problems.push(p);
  };

  nodes.forEach((node, i) => {
    const f = node.facts;
    const isAnchor = i === n - 1;
    if (at < f.info.notBefore) add('not-yet-valid', 'not-yet-valid', i, `notBefore ${iso(f.info.notBefore)}`);
    if (at > f.info.notAfter) add('expired', 'expired', i, `notAfter ${iso(f.info.notAfter)}`);
    for (const oid of f.malformed) add('malformed-extension', 'constraints', i, oid);
    // An anchor's extensions are trust-anchor information (RFC 5280 6.1): not judged here.
    if (!isAnchor) for (const oid of f.unknownCritical) add('unknown-critical-extension', 'constraints', i, oid);

    if (!isAnchor) {
      const hash = checks[i]?.hash;
      const asLeaf = i === 0 && target === 'leaf';
      if (hash === 'MD5') add(asLeaf ? 'weak-leaf-signature' : 'md5-signature', 'weak-algorithm', i, 'MD5');
      else if (hash === 'SHA-1') {
        if (asLeaf) {
          if (sha1.leafUnderPin && pinnedAnchor) warnings.push('sha1-leaf');
          else add('weak-leaf-signature', 'weak-algorithm', i, 'SHA-1');
        } else if (sha1.caUnderPin && pinnedAnchor) {
          if (!warnings.includes('sha1-in-chain')) warnings.push('sha1-in-chain');
        } else add('sha1-ca-signature', 'weak-algorithm', i, pinnedAnchor ? 'not allowed' : 'anchor is not pinned');
      }
    }

    const actsAsCa = i > 0 || target === 'ca';
    if (actsAsCa) {
      const bc = f.basicConstraints;
      // A v1 or extension-less anchor is still an anchor; an explicit cA=false never is a CA.
      if (isAnchor ? bc !== null && !bc.ca : !bc?.ca) add('not-a-ca', 'constraints', i);
      if (bc?.pathLen !== undefined) {
        // Non-self-issued CA certificates between this one and the target (RFC 5280 6.1.4 (l)).
        const below = nodes.slice(1, i).filter((x) => !x.facts.selfIssued).length;
        if (below > bc.pathLen) add('path-length', 'constraints', i, `pathLen ${bc.pathLen}, ${below} below`);
      }
      if (f.keyUsage && !f.keyUsage.has('keyCertSign')) add('no-key-cert-sign', 'constraints', i);
    } else {
      if (!f.keyUsage) warnings.push('leaf-no-key-usage');
      else if (!f.keyUsage.has('digitalSignature') && !f.keyUsage.has('nonRepudiation')) {
        add('leaf-key-usage', 'constraints', i, [...f.keyUsage].join(',') || 'none');
      }
    }
  });

  problems.sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || a.cert - b.cert);
  const anchor = trusted.pin ? { id: trusted.pin.id, name: trusted.pin.name } : { id: 'user', name: trusted.name };
  const result: PathResult = {
    ok: problems.length === 0,
    status: problems[0]?.status ?? 'valid',
    chain: nodes.map((x) => x.facts.info.der),
    anchor,
    warnings,
    reasons: problems.map(reasonOf),
    problems,
  };
  if (problems[0]) result.failingCert = problems[0].cert;
  return result;
}
