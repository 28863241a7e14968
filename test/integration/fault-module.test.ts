/**
 * Integration test of native/pkcs11-fault (libkyso-fault.so): the PKCS#11 fault-injection wrapper
 * around SoftHSM2 that the token-layer tests use to simulate real USB tokens.
 *
 * One SoftHSM token (RSA-2048 + EC P-256 key pairs) is created in a temp dir, the wrapper is loaded
 * once through pkcs11js (SoftHSM can be C_Initialize'd only once per process) and the fault config
 * file is rewritten between cases; the wrapper re-reads it on every call.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as Pkcs11Types from 'pkcs11js';

const require = createRequire(import.meta.url);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOFTHSM_CANDIDATES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'];
const softhsmLib = SOFTHSM_CANDIDATES.find((p) => existsSync(p));

// PKCS#11 numbers, checked numerically (pkcs11js errors carry `.code`).
const CKR = {
  OK: 0x0,
  FUNCTION_FAILED: 0x6,
  DEVICE_REMOVED: 0x32,
  FUNCTION_CANCELED: 0x50,
  OPERATION_NOT_INITIALIZED: 0x91,
  PIN_INCORRECT: 0xa0,
  PIN_LOCKED: 0xa4,
  SESSION_HANDLE_INVALID: 0xb3,
  TOKEN_NOT_PRESENT: 0xe0,
  USER_NOT_LOGGED_IN: 0x101,
} as const;
const CKF_TOKEN_PRESENT = 0x1;
const CKF_PROTECTED_AUTHENTICATION_PATH = 0x100;
const CKF_USER_PIN_COUNT_LOW = 0x10000;
const CKF_USER_PIN_FINAL_TRY = 0x20000;
const CKF_USER_PIN_LOCKED = 0x40000;
const PIN_FLAGS = CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED;
const CKU_USER = 1;
const CKU_CONTEXT_SPECIFIC = 2;
const CKS_RO_PUBLIC_SESSION = 0;
const PIN = '1111';

function which(cmd: string): boolean {
  return spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function prerequisitesMissing(): string | false {
  if (process.platform !== 'linux') return 'fault module tests run on Linux only';
  if (!which('cc')) return 'no C compiler (`cc`) on PATH: cannot build native/pkcs11-fault';
  if (!softhsmLib) return 'SoftHSM2 (libsofthsm2.so) is not installed';
  if (!which('softhsm2-util')) return 'softhsm2-util is not installed';
  if (!which('pkcs11-tool')) return 'pkcs11-tool (opensc) is not installed';
  return false;
}
const skip = prerequisitesMissing();

type P11 = typeof Pkcs11Types;
type Handle = Pkcs11Types.Handle;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: process.env });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Runs fn and returns the CKR code it threw (0 when it returned normally). */
function ckrOf(p11: P11, fn: () => unknown): number {
  try {
    fn();
    return CKR.OK;
  } catch (e: unknown) {
    if (e instanceof p11.Pkcs11Error) return e.code;
    throw e;
  }
}

function b64url(b: Buffer): string {
  return b.toString('base64url');
}

describe('pkcs11-fault wrapper (libkyso-fault.so over SoftHSM2)', { skip }, () => {
  let p11js: P11;
  let p11: Pkcs11Types.PKCS11;
  let tmp = '';
  let cfgPath = '';
  let statePath = '';
  let libPath = '';
  let slot: Handle;
  let rsaPub: KeyObject;
  let ecPub: KeyObject;
  const open: Handle[] = [];

  const expectCkr = (fn: () => unknown, code: number, what: string): void => {
    const got = ckrOf(p11js, fn);
    assert.equal(got, code, `${what}: expected CKR 0x${code.toString(16)}, got 0x${got.toString(16)}`);
  };

  const setConfig = (text: string): void => writeFileSync(cfgPath, text);
  const resetState = (): void => {
    if (existsSync(statePath)) unlinkSync(statePath);
  };
  const readState = (): Map<string, string> => {
    const m = new Map<string, string>();
    for (const line of readFileSync(statePath, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0 && !line.startsWith('#')) m.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return m;
  };
  const tokenFlags = (): number => p11.C_GetTokenInfo(slot).flags;

  const openSession = (): Handle => {
    const s = p11.C_OpenSession(slot, p11js.CKF_SERIAL_SESSION);
    open.push(s);
    return s;
  };
  const openLoggedIn = (): Handle => {
    const s = openSession();
    p11.C_Login(s, CKU_USER, PIN);
    return s;
  };
  /** Closes every session of the test (the wrapper forwards C_CloseAllSessions even when "removed"). */
  const closeAll = (): void => {
    open.length = 0;
    try {
      p11.C_CloseAllSessions(slot);
    } catch {
      // token may be "removed"; the wrapper already dropped the real sessions
    }
  };
  const findKey = (s: Handle, cls: number, id: number): Handle => {
    p11.C_FindObjectsInit(s, [
      { type: p11js.CKA_CLASS, value: cls },
      { type: p11js.CKA_ID, value: Buffer.from([id]) },
    ]);
    const found = p11.C_FindObjects(s, 2);
    p11.C_FindObjectsFinal(s);
    assert.equal(found.length, 1, `exactly one object of class ${cls} with id ${id}`);
    const h = found[0];
    assert.ok(h);
    return h;
  };
  const signRsa = (s: Handle, data: Buffer): Buffer => {
    const key = findKey(s, p11js.CKO_PRIVATE_KEY, 1);
    p11.C_SignInit(s, { mechanism: p11js.CKM_SHA256_RSA_PKCS }, key);
    return p11.C_Sign(s, data, Buffer.alloc(256));
  };
  const assertRsaValid = (data: Buffer, sig: Buffer): void => {
    assert.equal(sig.length, 256);
    assert.ok(cryptoVerify('sha256', data, rsaPub, sig), 'RSA signature verifies against the token public key');
  };

  before(() => {
    assert.ok(softhsmLib);
    const built = spawnSync(join(repoRoot, 'native', 'build.sh'), [], { encoding: 'utf8' });
    assert.equal(built.status, 0, `native/build.sh failed:\n${built.stderr}`);
    libPath = built.stdout.trim().split('\n').pop() ?? '';
    assert.ok(existsSync(libPath), `build.sh printed an existing library path (${libPath})`);

    tmp = mkdtempSync(join(tmpdir(), 'kyso-fault-'));
    const tokens = join(tmp, 'tokens');
    mkdirSync(tokens);
    const conf = join(tmp, 'softhsm2.conf');
    writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    // SoftHSM reads its config at C_Initialize; the CLI tools below inherit it too.
    process.env.SOFTHSM2_CONF = conf;
    cfgPath = join(tmp, 'fault.conf');
    statePath = `${cfgPath}.state`;
    writeFileSync(cfgPath, '');
    process.env.KYSO_FAULT_CONFIG = cfgPath;
    process.env.KYSO_FAULT_REAL_MODULE = softhsmLib;

    run('softhsm2-util', ['--init-token', '--free', '--label', 'T', '--so-pin', '1234', '--pin', PIN]);
    const tool = ['--module', softhsmLib, '--token-label', 'T', '--login', '--pin', PIN, '--keypairgen'];
    run('pkcs11-tool', [...tool, '--key-type', 'rsa:2048', '--id', '01', '--label', 'k']);
    run('pkcs11-tool', [...tool, '--key-type', 'EC:prime256v1', '--id', '02', '--label', 'e']);

    p11js = require('pkcs11js') as P11;
    p11 = new p11js.PKCS11();
    p11.load(libPath);
    // OS locking: the concurrency case signs from pkcs11js worker threads.
    p11.C_Initialize({ flags: p11js.CKF_OS_LOCKING_OK });
    const found = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === 'T');
    assert.ok(found, 'the SoftHSM token is visible through the wrapper');
    slot = found;

    // Public keys, read through the wrapper, for verifying signatures with node:crypto.
    const s = openSession();
    const rsaObj = findKey(s, p11js.CKO_PUBLIC_KEY, 1);
    const [mod, exp] = p11.C_GetAttributeValue(s, rsaObj, [
      { type: p11js.CKA_MODULUS },
      { type: p11js.CKA_PUBLIC_EXPONENT },
    ]);
    assert.ok(Buffer.isBuffer(mod?.value) && Buffer.isBuffer(exp?.value));
    rsaPub = createPublicKey({ key: { kty: 'RSA', n: b64url(mod.value), e: b64url(exp.value) }, format: 'jwk' });
    const ecObj = findKey(s, p11js.CKO_PUBLIC_KEY, 2);
    const [pt] = p11.C_GetAttributeValue(s, ecObj, [{ type: p11js.CKA_EC_POINT }]);
    assert.ok(Buffer.isBuffer(pt?.value));
    // DER OCTET STRING (04 41) wrapping the uncompressed point 04 || X || Y.
    const point = pt.value[0] === 0x04 && pt.value[1] === pt.value.length - 2 ? pt.value.subarray(2) : pt.value;
    assert.equal(point.length, 65);
    assert.equal(point[0], 0x04);
    ecPub = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
      format: 'jwk',
    });
    closeAll();
  });

  after(() => {
    if (p11) {
      try {
        p11.C_Finalize();
      } finally {
        p11.close();
      }
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const scenario = (name: string, config: string, fn: () => void | Promise<void>): void => {
    test(name, async () => {
      resetState();
      setConfig(config);
      try {
        await fn();
      } finally {
        closeAll();
        setConfig('');
        resetState();
      }
    });
  };

  scenario('forwards everything: RSA and ECDSA signatures made through the wrapper verify', '', () => {
    const info = p11.C_GetSlotInfo(slot);
    assert.ok(info.flags & CKF_TOKEN_PRESENT);
    assert.equal(tokenFlags() & PIN_FLAGS, 0);
    const s = openLoggedIn();
    const data = Buffer.from('Ký Số: công văn số 123/UBND');
    assertRsaValid(data, signRsa(s, data));

    const ecKey = findKey(s, p11js.CKO_PRIVATE_KEY, 2);
    // SoftHSM 2.6 has no CKM_ECDSA_SHA256: hash here, sign the digest with raw CKM_ECDSA.
    p11.C_SignInit(s, { mechanism: p11js.CKM_ECDSA }, ecKey);
    const ecSig = p11.C_Sign(s, createHash('sha256').update(data).digest(), Buffer.alloc(64));
    assert.equal(ecSig.length, 64);
    assert.ok(cryptoVerify('sha256', data, { key: ecPub, dsaEncoding: 'ieee-p1363' }, ecSig), 'ECDSA verifies');

    // Multi-part signing is forwarded too.
    const key = findKey(s, p11js.CKO_PRIVATE_KEY, 1);
    p11.C_SignInit(s, { mechanism: p11js.CKM_SHA256_RSA_PKCS }, key);
    p11.C_SignUpdate(s, data.subarray(0, 5));
    p11.C_SignUpdate(s, data.subarray(5));
    assertRsaValid(data, p11.C_SignFinal(s, Buffer.alloc(256)));
    assert.equal(readState().get('signs'), '3', 'the state file counts successful signatures');
  });

  scenario(
    'counts wrong PINs: COUNT_LOW, FINAL_TRY, LOCKED, then CKR_PIN_LOCKED even for the right PIN',
    'pin_max_tries=3\n',
    () => {
      const s = openSession();
      expectCkr(() => p11.C_Login(s, CKU_USER, '0000'), CKR.PIN_INCORRECT, 'wrong PIN #1');
      assert.equal(tokenFlags() & PIN_FLAGS, CKF_USER_PIN_COUNT_LOW);
      expectCkr(() => p11.C_Login(s, CKU_USER, '0000'), CKR.PIN_INCORRECT, 'wrong PIN #2');
      assert.equal(tokenFlags() & PIN_FLAGS, CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
      expectCkr(() => p11.C_Login(s, CKU_USER, '0000'), CKR.PIN_INCORRECT, 'wrong PIN #3');
      assert.ok(tokenFlags() & CKF_USER_PIN_LOCKED, 'locked after 3 wrong PINs');
      assert.equal(tokenFlags() & CKF_USER_PIN_FINAL_TRY, 0);
      expectCkr(() => p11.C_Login(s, CKU_USER, PIN), CKR.PIN_LOCKED, 'right PIN on a locked token');
      const st = readState();
      assert.equal(st.get('pin_failures'), '3');
      assert.equal(st.get('pin_tries_left'), '0');

      // reset_pin=1 (in a changed config) unlocks.
      setConfig('pin_max_tries=3\nreset_pin=1\n');
      assert.equal(tokenFlags() & PIN_FLAGS, 0, 'flags cleared by reset_pin=1');
      p11.C_Login(s, CKU_USER, PIN);
      p11.C_Logout(s);

      // A successful login resets the counter.
      setConfig('pin_max_tries=3\n');
      expectCkr(() => p11.C_Login(s, CKU_USER, '9999'), CKR.PIN_INCORRECT, 'wrong PIN');
      assert.equal(tokenFlags() & PIN_FLAGS, CKF_USER_PIN_COUNT_LOW);
      p11.C_Login(s, CKU_USER, PIN);
      assert.equal(tokenFlags() & PIN_FLAGS, 0, 'successful login resets the counter');
      p11.C_Logout(s);

      // Deleting the state file resets as well; pin_max_tries is configurable.
      setConfig('pin_max_tries=2\n');
      expectCkr(() => p11.C_Login(s, CKU_USER, '9999'), CKR.PIN_INCORRECT, 'wrong PIN (max 2)');
      assert.ok(tokenFlags() & CKF_USER_PIN_FINAL_TRY, 'with 2 tries, one failure leaves the final try');
      resetState();
      assert.equal(tokenFlags() & PIN_FLAGS, 0, 'deleting the state file resets');
    },
  );

  scenario(
    'remove_after_signs=2: the third sign sees CKR_DEVICE_REMOVED, re-insertion invalidates sessions',
    'remove_after_signs=2\n',
    () => {
      while (p11.C_WaitForSlotEvent(p11js.CKF_DONT_BLOCK) !== null) {
        // drain events left by earlier cases
      }
      const s = openLoggedIn();
      const data = Buffer.from('hợp đồng');
      assertRsaValid(data, signRsa(s, data));
      assertRsaValid(data, signRsa(s, data));
      expectCkr(() => signRsa(s, data), CKR.DEVICE_REMOVED, 'third signature');

      assert.equal(p11.C_GetSlotList(true).length, 0, 'no slot with a token present');
      assert.ok(
        p11.C_GetSlotList(false).some((x) => x.equals(slot)),
        'the reader (slot) is still there',
      );
      assert.equal(p11.C_GetSlotInfo(slot).flags & CKF_TOKEN_PRESENT, 0);
      expectCkr(() => p11.C_GetTokenInfo(slot), CKR.TOKEN_NOT_PRESENT, 'C_GetTokenInfo');
      expectCkr(() => p11.C_OpenSession(slot, p11js.CKF_SERIAL_SESSION), CKR.TOKEN_NOT_PRESENT, 'C_OpenSession');
      expectCkr(() => p11.C_GetSessionInfo(s), CKR.DEVICE_REMOVED, 'old session while removed');
      const ev = p11.C_WaitForSlotEvent(p11js.CKF_DONT_BLOCK);
      assert.ok(ev?.equals(slot), 'removal is reported as a slot event');
      assert.equal(p11.C_WaitForSlotEvent(p11js.CKF_DONT_BLOCK), null);

      const st = readState();
      assert.equal(st.get('removed'), '1');
      assert.equal(st.get('present'), '0');
      // The removal persists in the state file: another process sees no token either.
      const child = spawnSync(
        process.execPath,
        [
          '-e',
          "const{PKCS11}=require('pkcs11js');const p=new PKCS11();p.load(process.argv[1]);p.C_Initialize();" +
            'process.stdout.write(String(p.C_GetSlotList(true).length));p.C_Finalize();p.close();',
          libPath,
        ],
        { cwd: repoRoot, encoding: 'utf8', env: process.env },
      );
      assert.equal(child.status, 0, child.stderr);
      assert.equal(child.stdout, '0', 'a second process sees the token removed');

      // Re-insert.
      setConfig('present=1\n');
      assert.ok(
        p11.C_GetSlotList(true).some((x) => x.equals(slot)),
        'slot back after present=1',
      );
      assert.ok(p11.C_WaitForSlotEvent(p11js.CKF_DONT_BLOCK)?.equals(slot), 'insertion is a slot event');
      expectCkr(() => p11.C_GetSessionInfo(s), CKR.SESSION_HANDLE_INVALID, 'old session after re-insertion');
      const s2 = openSession();
      assert.notEqual(s2.toString('hex'), s.toString('hex'));
      assert.equal(p11.C_GetSessionInfo(s2).state, CKS_RO_PUBLIC_SESSION, 're-inserted token is logged out');
      expectCkr(() => p11.C_GetSessionInfo(s), CKR.SESSION_HANDLE_INVALID, 'old session stays invalid');
      p11.C_Login(s2, CKU_USER, PIN);
      assertRsaValid(data, signRsa(s2, data));
    },
  );

  scenario('present=0 pulls the token out in the middle of a session', '', () => {
    const s = openLoggedIn();
    const key = findKey(s, p11js.CKO_PRIVATE_KEY, 1);
    p11.C_SignInit(s, { mechanism: p11js.CKM_SHA256_RSA_PKCS }, key);
    setConfig('present=0\n');
    expectCkr(() => p11.C_Sign(s, Buffer.from('x'), Buffer.alloc(256)), CKR.DEVICE_REMOVED, 'C_Sign after pull-out');
    expectCkr(() => p11.C_FindObjectsInit(s, []), CKR.DEVICE_REMOVED, 'C_FindObjectsInit after pull-out');
    expectCkr(() => p11.C_GetTokenInfo(slot), CKR.TOKEN_NOT_PRESENT, 'C_GetTokenInfo after pull-out');
    assert.equal(p11.C_GetSlotList(true).length, 0);
    setConfig('present=1\n');
    expectCkr(() => p11.C_GetSessionInfo(s), CKR.SESSION_HANDLE_INVALID, 'session after re-insertion');
  });

  scenario('sign_latency_ms=300 makes C_Sign take at least 300 ms', 'sign_latency_ms=300\n', () => {
    const s = openLoggedIn();
    const key = findKey(s, p11js.CKO_PRIVATE_KEY, 1);
    const data = Buffer.from('chậm');
    p11.C_SignInit(s, { mechanism: p11js.CKM_SHA256_RSA_PKCS }, key);
    const t0 = performance.now();
    const sig = p11.C_Sign(s, data, Buffer.alloc(256));
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 299.5, `C_Sign took ${elapsed.toFixed(1)} ms`);
    assertRsaValid(data, sig);
  });

  scenario(
    'concurrent signatures on several sessions (worker threads) all succeed',
    'sign_latency_ms=100\n',
    async () => {
      const first = openLoggedIn();
      const sessions = [first, openSession(), openSession(), openSession()];
      const data = Buffer.from('song song');
      const sigs = await Promise.all(
        sessions.map((s) => {
          p11.C_SignInit(s, { mechanism: p11js.CKM_SHA256_RSA_PKCS }, findKey(s, p11js.CKO_PRIVATE_KEY, 1));
          return p11.C_SignAsync(s, data, Buffer.alloc(256));
        }),
      );
      for (const sig of sigs) assertRsaValid(data, sig);
      assert.equal(readState().get('signs'), '4');
    },
  );

  scenario('fail_sign=1 makes C_Sign/C_SignFinal return CKR_FUNCTION_FAILED (not a PIN error)', 'fail_sign=1\n', () => {
    const s = openLoggedIn();
    const key = findKey(s, p11js.CKO_PRIVATE_KEY, 1);
    p11.C_SignInit(s, { mechanism: p11js.CKM_SHA256_RSA_PKCS }, key);
    expectCkr(() => p11.C_Sign(s, Buffer.from('a'), Buffer.alloc(256)), CKR.FUNCTION_FAILED, 'C_Sign');
    // The failed operation was terminated, so a new one can start on the same session.
    p11.C_SignInit(s, { mechanism: p11js.CKM_SHA256_RSA_PKCS }, key);
    p11.C_SignUpdate(s, Buffer.from('a'));
    expectCkr(() => p11.C_SignFinal(s, Buffer.alloc(256)), CKR.FUNCTION_FAILED, 'C_SignFinal');
    assert.equal(tokenFlags() & PIN_FLAGS, 0, 'no PIN flags');
    setConfig('fail_sign=0\n');
    const data = Buffer.from('ok again');
    assertRsaValid(data, signRsa(s, data));
  });

  for (const mode of ['pin=1111 in config', 'PIN checked by SoftHSM'] as const) {
    const cfg = `always_authenticate=1\n${mode.startsWith('pin=') ? `pin=${PIN}\n` : ''}`;
    scenario(`always_authenticate (${mode}): each signature needs its own CKU_CONTEXT_SPECIFIC login`, cfg, () => {
      const s = openLoggedIn();
      const key = findKey(s, p11js.CKO_PRIVATE_KEY, 1);
      const [attr] = p11.C_GetAttributeValue(s, key, [{ type: p11js.CKA_ALWAYS_AUTHENTICATE }]);
      assert.ok(Buffer.isBuffer(attr?.value));
      assert.equal(attr.value[0], 1, 'CKA_ALWAYS_AUTHENTICATE reads TRUE');
      const mech = { mechanism: p11js.CKM_SHA256_RSA_PKCS };
      const data = Buffer.from('ký lại');

      expectCkr(() => p11.C_Login(s, CKU_CONTEXT_SPECIFIC, PIN), CKR.OPERATION_NOT_INITIALIZED, 'context login w/o op');
      p11.C_SignInit(s, mech, key);
      expectCkr(() => p11.C_Sign(s, data, Buffer.alloc(256)), CKR.USER_NOT_LOGGED_IN, 'sign w/o context login');

      p11.C_SignInit(s, mech, key);
      p11.C_Login(s, CKU_CONTEXT_SPECIFIC, PIN);
      assertRsaValid(data, p11.C_Sign(s, data, Buffer.alloc(256)));

      p11.C_SignInit(s, mech, key);
      expectCkr(() => p11.C_Sign(s, data, Buffer.alloc(256)), CKR.USER_NOT_LOGGED_IN, 'second sign needs a new login');

      p11.C_SignInit(s, mech, key);
      expectCkr(() => p11.C_Login(s, CKU_CONTEXT_SPECIFIC, '0000'), CKR.PIN_INCORRECT, 'wrong context PIN');
      assert.equal(tokenFlags() & PIN_FLAGS, CKF_USER_PIN_COUNT_LOW, 'a wrong context PIN counts');
      p11.C_Login(s, CKU_CONTEXT_SPECIFIC, PIN);
      assertRsaValid(data, p11.C_Sign(s, data, Buffer.alloc(256)));
      assert.equal(tokenFlags() & PIN_FLAGS, 0);

      // Multi-part: C_SignUpdate is refused as well without the context login.
      p11.C_SignInit(s, mech, key);
      expectCkr(() => p11.C_SignUpdate(s, data), CKR.USER_NOT_LOGGED_IN, 'C_SignUpdate w/o context login');
      p11.C_SignInit(s, mech, key);
      p11.C_Login(s, CKU_CONTEXT_SPECIFIC, PIN);
      p11.C_SignUpdate(s, data);
      assertRsaValid(data, p11.C_SignFinal(s, Buffer.alloc(256)));
    });
  }

  scenario(
    'protected_auth_path=1: flag visible, empty-PIN login uses the pad PIN after pad_delay_ms',
    'protected_auth_path=1\npad_pin=1111\npad_delay_ms=150\ntoken_label=VNPT-CA PIN-pad token\n',
    () => {
      const info = p11.C_GetTokenInfo(slot);
      assert.ok(info.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
      assert.equal(info.label.trim(), 'VNPT-CA PIN-pad token', 'token_label override');
      const s = openSession();
      const t0 = performance.now();
      p11.C_Login(s, CKU_USER, ''); // pkcs11js cannot pass NULL; an empty PIN means "use the pad"
      assert.ok(performance.now() - t0 >= 149.5, 'the pad delay is applied');
      const data = Buffer.from('pinpad');
      assertRsaValid(data, signRsa(s, data));
      p11.C_Logout(s);

      setConfig('protected_auth_path=1\npad_pin=0000\n');
      expectCkr(() => p11.C_Login(s, CKU_USER, ''), CKR.PIN_INCORRECT, 'wrong PIN typed on the pad');
      assert.ok(tokenFlags() & CKF_USER_PIN_COUNT_LOW);
      setConfig('protected_auth_path=1\npad_cancel=1\n');
      expectCkr(() => p11.C_Login(s, CKU_USER, ''), CKR.FUNCTION_CANCELED, 'cancel pressed on the pad');
    },
  );

  scenario('a malformed or missing config falls back to defaults', '', () => {
    const junk = Buffer.concat([
      Buffer.from('present=maybe\npin_max_tries=-4\nsign_latency_ms=99999999999999999999999\nfail_sign\n'),
      Buffer.from('=\n====\n\u0000\u00ff\u00fe=1\nremove_after_signs=0x\n token_label = ' + 'x'.repeat(500) + '\n'),
      Buffer.alloc(70 * 1024, 0xff),
      Buffer.from('\nfail_sign=1\n'), // beyond the 64 KiB that are read: ignored
    ]);
    writeFileSync(cfgPath, junk);
    assert.ok(p11.C_GetSlotInfo(slot).flags & CKF_TOKEN_PRESENT, 'present by default');
    assert.equal(p11.C_GetTokenInfo(slot).label.trim(), 'T');
    const s = openLoggedIn();
    const data = Buffer.from('mặc định');
    assertRsaValid(data, signRsa(s, data));
    closeAll();

    rmSync(cfgPath);
    assert.ok(
      p11.C_GetSlotList(true).some((x) => x.equals(slot)),
      'missing config: token present',
    );
    const s2 = openLoggedIn();
    assertRsaValid(data, signRsa(s2, data));
  });
});
