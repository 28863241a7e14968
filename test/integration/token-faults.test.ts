// Token realities through the fault module: PIN counting to final try and lock (messages that
// tell the truth, no automatic retry), removal mid-session and mid-batch, hot-plug within 2 s,
// CKR_FUNCTION_FAILED is not a PIN error, always-authenticate keys, PIN pad, and a slow token
// that does not block the event loop.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, verify } from 'node:crypto';
import { createFaultToken, type FaultToken } from '../helpers/fault-token.js';
import { chooseToken } from '../../src-core/token/token-service.js';
import { TokenSession } from '../../src-core/token/token-session.js';
import { TokenWatcher, type TokenPresence } from '../../src-core/token/hotplug.js';
import { loadModule, unloadAll } from '../../src-core/token/pkcs11-module.js';
import { KysoError } from '../../src-shared/errors.js';

let ft: FaultToken;

before(async () => {
  ft = await createFaultToken();
});
after(async () => {
  unloadAll();
  await ft?.cleanup();
});

const isErr = (code: string, key?: string) => (e: unknown) =>
  e instanceof KysoError && e.code === code && (key === undefined || e.messageKey === key);

function session(opts: ConstructorParameters<typeof TokenSession>[2] = {}): TokenSession {
  const c = chooseToken({ explicit: [ft.module] });
  return new TokenSession(c.module, c.slot, opts);
}

const data = Buffer.from('Tờ trình số 45/TTr-VP');
const personKey = () => new X509Certificate(Buffer.from(ft.pki.person.certDer)).publicKey;

test('wrong PIN three times: count low, then final-try warning, then locked — and never retried', async () => {
  ft.configure({ pin_max_tries: 3 });
  const s = session();
  await assert.rejects(s.login(Buffer.from('0000')), isErr('PIN_INCORRECT', 'error.pinIncorrectLow'));
  assert.equal(s.pinState().countLow, true);
  await assert.rejects(s.login(Buffer.from('0000')), isErr('PIN_INCORRECT', 'error.pinIncorrectFinal'));
  assert.equal(s.pinState().finalTry, true);
  await assert.rejects(s.login(Buffer.from('0000')), isErr('PIN_LOCKED'));
  assert.equal(s.pinState().locked, true);
  // Locked: the right PIN is not even sent to the token.
  await assert.rejects(s.login(Buffer.from(ft.userPin)), isErr('PIN_LOCKED'));
  ft.configure({ pin_max_tries: 3, reset_pin: 1 });
  await s.login(Buffer.from(ft.userPin));
  assert.equal(s.pinState().countLow, false, 'a good login clears the count');
  s.close();
});

test('token removed mid-batch: typed error, session dropped; re-inserted token needs a new login', async () => {
  ft.configure({ remove_after_signs: 3 });
  const s = session();
  await s.login(Buffer.from(ft.userPin));
  const results: string[] = [];
  for (let i = 0; i < 5; i++) {
    try {
      await s.sign(data, { certId: '01' });
      results.push('ok');
    } catch (e) {
      results.push(e instanceof KysoError ? e.code : 'other');
      break;
    }
  }
  assert.deepEqual(results, ['ok', 'ok', 'ok', 'TOKEN_REMOVED']);
  assert.equal(s.isLoggedIn, false);
  assert.throws(() => chooseToken({ explicit: [ft.module] }), isErr('TOKEN_UNAVAILABLE'));
  ft.configure({ present: 1 });
  const again = session();
  await assert.rejects(again.sign(data, { certId: '01' }), isErr('NOT_LOGGED_IN'));
  await again.login(Buffer.from(ft.userPin));
  assert.equal(verify('sha256', data, personKey(), (await again.sign(data, { certId: '01' })).signature), true);
  again.close();
});

test('hot-plug: removal and insertion are noticed within 2 s by polling', async () => {
  ft.configure({ present: 1 });
  const mod = loadModule(ft.module);
  const w = new TokenWatcher(() => [mod], 250).start();
  assert.equal(w.snapshot().length, 1);
  const next = (ev: 'inserted' | 'removed') =>
    new Promise<{ p: TokenPresence; ms: number }>((resolve, reject) => {
      const t0 = Date.now();
      const timer = setTimeout(() => reject(new Error(`no ${ev} event within 2 s`)), 2000);
      w.once(ev, (p) => {
        clearTimeout(timer);
        resolve({ p, ms: Date.now() - t0 });
      });
    });
  const removed = next('removed');
  ft.configure({ present: 0 });
  assert.equal((await removed).p.serialNumber, ft.token.serial);
  const inserted = next('inserted');
  ft.configure({ present: 1 });
  assert.equal((await inserted).p.label, 'VGCA Fault Token');
  w.stop();
});

test('CKR_FUNCTION_FAILED is reported as a token failure, not a PIN error', async () => {
  ft.configure({ fail_sign: 1 });
  const s = session();
  await s.login(Buffer.from(ft.userPin));
  await assert.rejects(s.sign(data, { certId: '01' }), isErr('TOKEN_FUNCTION_FAILED', 'error.functionFailed'));
  assert.equal(s.isLoggedIn, true, 'a failed operation does not end the login');
  ft.configure({});
  await s.sign(data, { certId: '01' });
  s.close();
});

test('always-authenticate key: a context login per signature, PIN asked each time', async () => {
  ft.configure({ always_authenticate: 1, pin: ft.userPin });
  const s = session();
  await s.login(Buffer.from(ft.userPin));
  await assert.rejects(s.sign(data, { certId: '01' }), isErr('NOT_LOGGED_IN'));
  let asked = 0;
  const contextPin = async () => {
    asked++;
    return Buffer.from(ft.userPin);
  };
  for (let i = 0; i < 3; i++) {
    const r = await s.sign(data, { certId: '01', contextPin });
    assert.equal(verify('sha256', data, personKey(), r.signature), true);
  }
  assert.equal(asked, 3);
  await assert.rejects(
    s.sign(data, { certId: '01', contextPin: async () => Buffer.from('9999') }),
    isErr('PIN_INCORRECT'),
  );
  s.close();
  ft.configure({ reset_pin: 1 });
});

test('PIN pad: no PIN travels through the app; the token flag is shown', async () => {
  ft.configure({ protected_auth_path: 1, pad_pin: ft.userPin, pad_delay_ms: 50 });
  const s = session();
  assert.equal(s.pinState().pinPad, true);
  await s.login(null);
  assert.equal(s.isLoggedIn, true);
  await s.sign(data, { certId: '01' });
  s.close();
  ft.configure({});
  const noPad = session();
  await assert.rejects(noPad.login(null), isErr('USAGE', 'error.pinMissing'));
  noPad.close();
});

test('a slow token (300 ms per signature) does not block the event loop', async () => {
  ft.configure({ sign_latency_ms: 300 });
  const s = session();
  await s.login(Buffer.from(ft.userPin));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await s.sign(data, { certId: '01' });
  clearInterval(timer);
  // With a blocking call the interval could not fire during the 300 ms sleep.
  assert.ok(ticks >= 10, `event loop ticked ${ticks} times during a 300 ms signature`);
  s.close();
  ft.configure({});
});
