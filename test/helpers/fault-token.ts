/**
 * A SoftHSM2 token behind the native fault module (native/pkcs11-fault): the way our tests
 * show what real USB tokens do and SoftHSM cannot (removal, PIN counting to a lock, latency,
 * CKR_FUNCTION_FAILED, CKA_ALWAYS_AUTHENTICATE, PIN pad). See native/pkcs11-fault/README.md.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestPki, type TestPki } from './pki.js';
import { createSoftHsmEnv, type SoftHsmEnv, type SoftHsmToken } from './softhsm.js';

export interface FaultConfig {
  present?: 0 | 1;
  remove_after_signs?: number;
  pin_max_tries?: number;
  sign_latency_ms?: number;
  fail_sign?: 0 | 1;
  always_authenticate?: 0 | 1;
  protected_auth_path?: 0 | 1;
  pad_pin?: string;
  pad_delay_ms?: number;
  pin?: string;
  reset_pin?: 0 | 1;
  hide_uninitialized?: 0 | 1;
  token_label?: string;
}

export interface FaultToken {
  /** Path of libkyso-fault.so: load this, not SoftHSM. */
  module: string;
  pki: TestPki;
  hsm: SoftHsmEnv;
  token: SoftHsmToken;
  userPin: string;
  configPath: string;
  /** Rewrites the config; a changed config starts a new scenario (counters reset). */
  configure(cfg: FaultConfig): void;
  cleanup(): Promise<void>;
}

export function buildFaultModule(): string {
  const r = spawnSync('sh', ['native/build.sh'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`native/build.sh failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

/**
 * Creates the PKI and a token with the person's RSA key (id 01), EC key (id 03) and the
 * organisation key (id 04), then points this process's environment at it. Call before any
 * PKCS#11 module is loaded in the process (SoftHSM reads its configuration at C_Initialize).
 */
export async function createFaultToken(initial: FaultConfig = {}): Promise<FaultToken> {
  const module = buildFaultModule();
  const pki = await createTestPki();
  const hsm = await createSoftHsmEnv();
  const userPin = '12345678';
  const token = await hsm.addToken({
    label: 'VGCA Fault Token',
    userPin,
    objects: [
      { id: '01', label: 'Nguyễn Văn Đức', keyPem: pki.person.keyPem, certDer: pki.person.certDer },
      { id: '03', label: 'EC', keyPem: pki.personEc.keyPem, certDer: pki.personEc.certDer },
      { id: '04', label: 'Bộ Tài chính', keyPem: pki.organisation.keyPem, certDer: pki.organisation.certDer },
    ],
  });
  const configPath = join(hsm.dir, 'fault.conf');
  const configure = (cfg: FaultConfig): void => {
    const lines = Object.entries({ hide_uninitialized: 1, ...cfg }).map(([k, v]) => `${k}=${String(v)}`);
    writeFileSync(configPath, `${lines.join('\n')}\n`);
  };
  configure(initial);
  Object.assign(process.env, hsm.env, { KYSO_FAULT_CONFIG: configPath, KYSO_FAULT_REAL_MODULE: hsm.module });
  return {
    module,
    pki,
    hsm,
    token,
    userPin,
    configPath,
    configure,
    cleanup: async () => {
      await hsm.cleanup();
      await pki.cleanup();
    },
  };
}
