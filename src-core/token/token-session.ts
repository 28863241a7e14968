/**
 * One logged-in session on one token: the PIN rules of the product live here.
 *
 * - A PIN arrives as a Buffer and is wiped right after C_Login. pkcs11js only takes a JS string,
 *   which cannot be wiped: it is created at the call and dropped at once (see docs/token-layer.md).
 * - A wrong PIN is never retried by us; the token flags are re-read after every failure so the
 *   message tells the truth (count low, final try, locked). A locked token is not even tried.
 * - One login serves many signatures (a batch); after `idleLogoutMs` without use we log out.
 * - Keys with CKA_ALWAYS_AUTHENTICATE need a context-specific login between C_SignInit and
 *   C_Sign for every signature; the caller supplies that PIN through `contextPin`.
 * - Signing runs through C_SignAsync so a slow token (100–500 ms) never blocks the event loop.
 */
import { EventEmitter } from 'node:events';
import type { PinState } from '../../src-shared/api/token-types.js';
import { KysoError } from '../../src-shared/errors.js';
import { CKR, ckrOf, mapTokenError } from './ckr.js';
import { planMechanism, type HashAlg, type KeyKind, type MechanismPlan, type SignScheme } from './mechanisms.js';
import { pinIncorrectError, pinStateFromFlags } from './pin-state.js';
import { pkcs11js, type Handle, type LoadedModule } from './pkcs11-module.js';
import { pairKey, readObjects, type TokenObjects } from './token-reader.js';

export const DEFAULT_IDLE_LOGOUT_MS = 5 * 60 * 1000;
const CKU_USER = 1;
const CKU_CONTEXT_SPECIFIC = 2;

export interface SessionOptions {
  idleLogoutMs?: number;
  /**
   * Restricts the mechanisms we may use (e.g. an IT preset for a token whose combined
   * hash-and-sign mechanism is buggy). Default: whatever the token lists.
   */
  allowMechanisms?: readonly number[];
}

export interface SignOptions {
  /** CKA_ID of the certificate (hex). */
  certId: string;
  hash?: HashAlg;
  /** For RSA keys: PKCS#1 v1.5 (default) or PSS. */
  rsaScheme?: Extract<SignScheme, 'RSA-PKCS1' | 'RSA-PSS'>;
  /** Asked once per signature for keys that always need authentication; null means PIN pad. */
  contextPin?: () => Promise<Buffer | null>;
}

export interface SignResult {
  signature: Buffer;
  plan: Pick<MechanismPlan, 'scheme' | 'hash' | 'mechanism'>;
  keyKind: KeyKind;
}

/**
 * pkcs11js only passes PINs as strings and cannot pass NULL_PTR; for a PIN pad we pass an empty
 * PIN (length 0), which the drivers we know treat as "use the pad". See docs/token-layer.md.
 */
function pinArg(pin: Buffer | null): string {
  return pin === null ? '' : pin.toString('utf8');
}

export class TokenSession extends EventEmitter {
  private session: Handle | null = null;
  private loggedIn = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private mechanisms: number[] | null = null;
  private objects: TokenObjects | null = null;
  private readonly idleLogoutMs: number;
  private readonly allowMechanisms: readonly number[] | undefined;

  constructor(
    readonly mod: LoadedModule,
    readonly slot: Handle,
    opts: SessionOptions = {},
  ) {
    super();
    this.idleLogoutMs = opts.idleLogoutMs ?? DEFAULT_IDLE_LOGOUT_MS;
    this.allowMechanisms = opts.allowMechanisms;
  }

  get isLoggedIn(): boolean {
    return this.loggedIn;
  }

  pinState(): PinState {
    try {
      return pinStateFromFlags(this.mod.p11.C_GetTokenInfo(this.slot).flags);
    } catch (e) {
      throw mapTokenError(e);
    }
  }

  private open(): Handle {
    if (this.session === null) {
      const c = pkcs11js();
      try {
        this.session = this.mod.p11.C_OpenSession(this.slot, c.CKF_SERIAL_SESSION);
      } catch (e) {
        throw mapTokenError(e);
      }
    }
    return this.session;
  }

  /**
   * Logs in with the PIN (wiped afterwards), or on the PIN pad when `pin` is null.
   * Throws PIN_INCORRECT (refined by the flags), PIN_LOCKED, or the mapped token error.
   */
  async login(pin: Buffer | null): Promise<void> {
    const before = this.pinState();
    try {
      if (before.locked) throw new KysoError('PIN_LOCKED', 'error.pinLocked');
      if (pin === null && !before.pinPad) throw new KysoError('USAGE', 'error.pinMissing');
      const session = this.open();
      try {
        this.mod.p11.C_Login(session, CKU_USER, pinArg(pin));
      } catch (e) {
        const code = ckrOf(e);
        if (code === CKR.USER_ALREADY_LOGGED_IN) {
          // Another session of this process logged the token in; PKCS#11 login is per token.
        } else if (code === CKR.PIN_INCORRECT) {
          throw pinIncorrectError(this.pinState());
        } else {
          throw mapTokenError(e);
        }
      }
      this.loggedIn = true;
      this.objects = null;
      this.touch();
      this.emit('login');
    } finally {
      pin?.fill(0);
    }
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.logout('idle'), this.idleLogoutMs);
    // An idle timer must not keep a CLI process alive.
    this.idleTimer.unref();
  }

  logout(reason: 'idle' | 'user' | 'close' = 'user'): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.session !== null) {
      try {
        if (this.loggedIn) this.mod.p11.C_Logout(this.session);
      } catch {
        // A removed token has no session to log out of.
      }
      try {
        this.mod.p11.C_CloseSession(this.session);
      } catch {
        // Same: nothing left to close.
      }
    }
    const was = this.loggedIn;
    this.session = null;
    this.loggedIn = false;
    this.objects = null;
    if (was) this.emit('logout', reason);
  }

  close(): void {
    this.logout('close');
  }

  private supported(): number[] {
    if (this.mechanisms === null) {
      const listed = this.mod.p11.C_GetMechanismList(this.slot);
      const allow = this.allowMechanisms;
      this.mechanisms = allow ? listed.filter((m) => allow.includes(m)) : listed;
    }
    return this.mechanisms;
  }

  /** Certificate DER and the chain certificates the token carries (for CMS). */
  certificates(): TokenObjects['certificates'] {
    return this.readObjectsCached().certificates;
  }

  private readObjectsCached(): TokenObjects {
    this.objects ??= readObjects(this.mod, this.open());
    return this.objects;
  }

  async sign(tbs: Buffer, opts: SignOptions): Promise<SignResult> {
    if (!this.loggedIn || this.session === null) throw new KysoError('NOT_LOGGED_IN', 'error.notLoggedIn');
    const c = pkcs11js();
    const p11 = this.mod.p11;
    const session = this.session;
    try {
      const objs = this.readObjectsCached();
      const cert = objs.certificates.find((x) => x.id.toString('hex') === opts.certId.toLowerCase());
      if (!cert) throw new KysoError('KEY_NOT_FOUND', 'error.certNotFound', { id: opts.certId });
      const { handle: key } = pairKey(objs, cert);
      if (key === null) throw new KysoError('KEY_NOT_FOUND', 'error.keyNotFound', { id: opts.certId });

      const [typeAttr, alwaysAttr] = p11.C_GetAttributeValue(session, key, [
        { type: c.CKA_KEY_TYPE },
        { type: c.CKA_ALWAYS_AUTHENTICATE },
      ]);
      const keyType = Buffer.isBuffer(typeAttr?.value)
        ? typeAttr.value.readUIntLE(0, Math.min(typeAttr.value.length, 6))
        : -1;
      const keyKind: KeyKind = keyType === c.CKK_EC ? 'EC' : 'RSA';
      const always = Buffer.isBuffer(alwaysAttr?.value) && alwaysAttr.value.some((b) => b !== 0);

      const hash = opts.hash ?? 'SHA-256';
      const scheme: SignScheme = keyKind === 'EC' ? 'ECDSA' : (opts.rsaScheme ?? 'RSA-PKCS1');
      const plan = planMechanism(keyKind, scheme, hash, this.supported());
      const mechanism = plan.pss
        ? { mechanism: plan.mechanism, parameter: { type: c.CK_PARAMS_RSA_PSS, ...plan.pss } }
        : { mechanism: plan.mechanism };

      if (always && !opts.contextPin) throw new KysoError('NOT_LOGGED_IN', 'error.notLoggedIn');
      p11.C_SignInit(session, mechanism, key);
      if (always) {
        try {
          await this.contextLogin(session, opts.contextPin);
        } catch (e) {
          this.abortSign(session);
          throw e;
        }
      }
      const raw = await p11.C_SignAsync(session, plan.prepare(tbs), Buffer.alloc(1024));
      this.touch();
      return { signature: plan.finish(Buffer.from(raw)), plan: { scheme, hash, mechanism: plan.mechanism }, keyKind };
    } catch (e) {
      const mapped = mapTokenError(e);
      if (
        mapped instanceof KysoError &&
        (mapped.code === 'TOKEN_REMOVED' || mapped.code === 'SESSION_CLOSED' || mapped.code === 'TOKEN_NOT_PRESENT')
      ) {
        // The session died with the token; forget it so a re-inserted token starts clean.
        this.session = null;
        this.loggedIn = false;
        this.objects = null;
        this.emit('logout', 'removed');
      }
      throw mapped;
    }
  }

  /**
   * Ends a signing operation we will not complete. PKCS#11 2.40 has no cancel call, but any
   * C_Sign that fails (other than a length query) terminates the operation; without this the
   * next C_SignInit on the session gets CKR_OPERATION_ACTIVE.
   */
  private abortSign(session: Handle): void {
    try {
      this.mod.p11.C_Sign(session, Buffer.alloc(0), Buffer.alloc(1024));
    } catch {
      // Expected: the token refuses, which is what ends the operation.
    }
  }

  private async contextLogin(session: Handle, provider: SignOptions['contextPin']): Promise<void> {
    if (!provider) throw new KysoError('NOT_LOGGED_IN', 'error.notLoggedIn');
    const pin = await provider();
    try {
      this.mod.p11.C_Login(session, CKU_CONTEXT_SPECIFIC, pinArg(pin));
    } catch (e) {
      if (ckrOf(e) === CKR.PIN_INCORRECT) throw pinIncorrectError(this.pinState());
      throw mapTokenError(e);
    } finally {
      pin?.fill(0);
    }
  }
}
