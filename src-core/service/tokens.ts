/**
 * The token side of the desktop service: which modules and tokens are present (watched for
 * hot-plug and pushed to the UI), certificates without logging in, and a logged-in signer for
 * one batch. The PIN arrives as a Buffer and goes straight to TokenSession.login, which wipes it.
 */
import { X509Certificate } from 'node:crypto';
import type { CertificateSummary, TokenSummary } from '../../src-shared/api/token-types.js';
import type { TokenState } from '../../src-shared/api/ui-types.js';
import { KysoError } from '../../src-shared/errors.js';
import type { DocumentSigner } from '../sign/sign-document.js';
import { TokenWatcher } from '../token/hotplug.js';
import { discoverModules, type DiscoveryOptions } from '../token/module-discovery.js';
import { loadModule, type Handle, type LoadedModule } from '../token/pkcs11-module.js';
import { CKF } from '../token/pin-state.js';
import { readToken, readTokenIdentity, slotsWithToken } from '../token/token-reader.js';
import { listModules } from '../token/token-service.js';
import { TokenSession } from '../token/token-session.js';

/** KYSO_DEBUG_TOKENS=1: token events on stderr (labels and serials only, never a PIN). */
const debug = (line: string): void => {
  if (process.env.KYSO_DEBUG_TOKENS === '1') process.stderr.write(`[tokens] ${new Date().toISOString()} ${line}\n`);
};

export interface TokenLocation {
  module: LoadedModule;
  slot: Handle;
  token: TokenSummary;
  certificate: CertificateSummary;
}

export interface OpenedTokenSigner {
  signer: DocumentSigner;
  session: TokenSession;
  certificate: CertificateSummary;
}

export class TokenManager {
  private watcher: TokenWatcher | null = null;
  private cached: TokenState | null = null;
  private readonly listeners = new Set<(s: TokenState) => void>();

  constructor(
    private readonly discovery: () => DiscoveryOptions,
    private readonly pollMs = 1000,
  ) {}

  onChange(l: (s: TokenState) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Modules, tokens and certificates as of now (re-read). */
  refresh(): TokenState {
    let modules: TokenState['modules'];
    try {
      modules = listModules(this.discovery());
    } catch {
      modules = [];
    }
    const changed = JSON.stringify(modules) !== JSON.stringify(this.cached?.modules);
    debug(
      `refresh: ${modules.map((m) => `${m.path}=${m.tokens.map((t) => `${t.label}[${t.certificates.map((c) => `${c.id}${c.usable ? '' : '!'}`).join(' ')}]`).join(',')}`).join(' ')}${changed ? ' (changed)' : ''}`,
    );
    this.cached = { modules, readAt: new Date().toISOString() };
    if (changed) for (const l of [...this.listeners]) l(this.cached);
    return this.cached;
  }

  private timers: NodeJS.Timeout[] = [];
  private consistency: NodeJS.Timeout | null = null;

  /**
   * After an insertion or removal: read now, and again shortly after. A token that was just
   * plugged in can fail its first reading (the driver is still settling, or it closes stale
   * sessions on the first call); listeners hear only about real changes.
   */
  private settle(): void {
    this.refresh();
    for (const t of this.timers) clearTimeout(t);
    this.timers = [400, 1200, 3000].map((ms) => {
      const t = setTimeout(() => this.refresh(), ms);
      t.unref();
      return t;
    });
  }

  state(): TokenState {
    return this.cached ?? this.refresh();
  }

  private loaded(): LoadedModule[] {
    const out: LoadedModule[] = [];
    for (const c of discoverModules(this.discovery())) {
      try {
        out.push(loadModule(c.path));
      } catch {
        // Shown in the diagnostics through listModules; nothing to watch.
      }
    }
    return out;
  }

  /** Starts watching for insertion and removal; each change re-reads and notifies. */
  start(): void {
    if (this.watcher) return;
    let mods = this.loaded();
    this.watcher = new TokenWatcher(() => mods, this.pollMs);
    const changed = (): void => this.settle();
    this.watcher.on('inserted', (t) => {
      debug(`inserted ${t.label} ${t.serialNumber}`);
      changed();
    });
    this.watcher.on('removed', (t) => {
      debug(`removed ${t.label} ${t.serialNumber}`);
      changed();
    });
    this.watcher.on('error', () => undefined);
    this.watcher.start();
    this.refresh();
    // A token pulled out and put back between two polls gives the watcher no event, while a
    // reading taken in between says "absent"; so compare the watcher's view with ours each poll.
    const watcher = this.watcher;
    this.consistency = setInterval(() => {
      const seen = watcher
        .snapshot()
        .map((t) => `${t.modulePath}|${t.serialNumber}`)
        .sort()
        .join(';');
      const ours = (this.cached?.modules ?? [])
        .flatMap((m) => m.tokens.map((t) => `${m.path}|${t.serialNumber}`))
        .sort()
        .join(';');
      if (seen !== ours) {
        debug(`out of step (watcher: ${seen || '-'}; state: ${ours || '-'})`);
        this.refresh();
      }
    }, this.pollMs);
    this.consistency.unref();
    this.restartWatch = () => {
      mods = this.loaded();
      this.refresh();
    };
  }

  /** After the driver paths changed in the settings. */
  restartWatch: () => void = () => undefined;

  stop(): void {
    this.watcher?.stop();
    this.watcher = null;
    for (const t of this.timers) clearTimeout(t);
    if (this.consistency) clearInterval(this.consistency);
  }

  /** Finds the token carrying the certificate with this CKA_ID (the first usable one). */
  locate(certId: string): TokenLocation {
    const want = certId.toLowerCase();
    for (const module of this.loaded()) {
      let slots: Handle[];
      try {
        slots = slotsWithToken(module);
      } catch {
        continue;
      }
      for (const slot of slots) {
        try {
          const identity = readTokenIdentity(module, slot);
          if ((identity.flags & CKF.TOKEN_INITIALIZED) === 0) continue;
          const token = readToken(module, slot);
          const certificate = token.certificates.find((c) => c.id.toLowerCase() === want && c.usable);
          if (certificate) return { module, slot, token, certificate };
        } catch {
          // Removed while being read.
        }
      }
    }
    throw new KysoError('TOKEN_NOT_PRESENT', 'error.tokenNotPresent');
  }

  /** The certificate's DER, read without logging in. */
  certificateDer(certId: string): Buffer {
    const loc = this.locate(certId);
    const session = new TokenSession(loc.module, loc.slot);
    try {
      const c = session.certificates().find((x) => x.id.toString('hex') === loc.certificate.id.toLowerCase());
      if (!c) throw new KysoError('KEY_NOT_FOUND', 'error.certNotFound', { id: certId });
      return c.decoded.der;
    } finally {
      session.close();
    }
  }

  /**
   * Logs in once (PIN as a Buffer, wiped by the session; null = PIN pad) and returns a signer
   * for the certificate. The caller closes the session when the batch ends.
   */
  async openSigner(certId: string, pin: Buffer | null, extraChain: Buffer[] = []): Promise<OpenedTokenSigner> {
    let loc: TokenLocation;
    try {
      loc = this.locate(certId);
    } catch (e) {
      pin?.fill(0);
      throw e;
    }
    const session = new TokenSession(loc.module, loc.slot);
    try {
      await session.login(pin);
    } catch (e) {
      session.close();
      this.refresh(); // the PIN flags changed: the token bar shows the tries left
      throw e;
    }
    try {
      const onToken = session.certificates();
      const leaf = onToken.find((c) => c.id.toString('hex') === loc.certificate.id.toLowerCase());
      if (!leaf) throw new KysoError('KEY_NOT_FOUND', 'error.certNotFound', { id: certId });
      const chainDers = chainOf(leaf.decoded.der, [...onToken.map((c) => c.decoded.der), ...extraChain]).slice(1);
      const scheme = loc.certificate.keyAlgorithm.startsWith('EC') ? 'ECDSA' : 'RSA-PKCS1';
      let queue: Promise<unknown> = Promise.resolve();
      const signer: DocumentSigner = {
        certDer: leaf.decoded.der,
        chainDers,
        scheme,
        sign: (tbs, hash) => {
          const run = queue.then(async () => {
            const r = await session.sign(tbs, { certId: loc.certificate.id, hash });
            return { signature: r.signature, scheme: r.plan.scheme };
          });
          queue = run.catch(() => undefined);
          return run;
        },
      };
      this.refresh();
      return { signer, session, certificate: loc.certificate };
    } catch (e) {
      session.close();
      throw e;
    }
  }
}

/** leaf, issuer, issuer's issuer … as far as the pool goes (signatures checked, not just names). */
export function chainOf(leaf: Buffer, pool: Buffer[]): Buffer[] {
  const out = [leaf];
  let cur = new X509Certificate(leaf);
  for (let i = 0; i < 8; i++) {
    if (cur.checkIssued(cur) && cur.verify(cur.publicKey)) break;
    const next = pool.find((p) => {
      try {
        const c = new X509Certificate(p);
        return cur.checkIssued(c) && cur.verify(c.publicKey);
      } catch {
        return false;
      }
    });
    if (!next) break;
    out.push(next);
    cur = new X509Certificate(next);
  }
  return out;
}
