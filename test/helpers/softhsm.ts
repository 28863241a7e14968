// Fresh SoftHSM2 tokens for tests, standing in for the USB tokens Ban Cơ yếu issues.
//
// How SoftHSM finds its tokens matters for every test that uses this helper (checked against
// SoftHSM 2.6.1):
// - libsofthsm2 reads SOFTHSM2_CONF from the *process environment* when C_Initialize runs, and
//   scans the token directory then. A test that loads the module in-process (pkcs11js, graphene)
//   must do `Object.assign(process.env, hsm.env)` before calling C_Initialize.
// - So one process sees one configuration. Several tokens therefore live under ONE conf/token
//   dir: createSoftHsmEnv() once, then addToken() per token, all before the code under test calls
//   C_Initialize. A token added later stays invisible to that process until it calls C_Finalize
//   and C_Initialize again. Objects written later to an already-visible token (e.g. a certificate
//   via writeCertificate) do show up without re-initialising.
// - SoftHSM always lists one extra slot with an uninitialised token (empty label); code that
//   enumerates slots should skip tokens without CKF_TOKEN_INITIALIZED.
// - All set-up here runs in child processes (softhsm2-util, pkcs11-tool), so it never initialises
//   the module inside the test process.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from './run.js';

const MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/arm-linux-gnueabihf/softhsm/libsofthsm2.so',
  '/usr/lib64/pkcs11/libsofthsm2.so',
  '/usr/lib64/softhsm/libsofthsm2.so',
  '/usr/lib/pkcs11/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

/** Path of libsofthsm2, or null when SoftHSM2 is not installed. SOFTHSM2_MODULE overrides the search. */
export function findSoftHsmModule(): string | null {
  const override = process.env['SOFTHSM2_MODULE'];
  if (override) return existsSync(override) ? override : null;
  return MODULE_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export interface TokenKeyImport {
  /** CKA_ID as hex (e.g. "01", "a1b2"); key pair and certificate share it, which is how tokens link them. */
  id: string;
  label: string;
  /** Unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), e.g. TestIdentity.keyPem. */
  keyPem?: string;
  /** DER certificate stored as a CKO_CERTIFICATE with the same id and label. */
  certDer?: Uint8Array;
}

export interface TokenKeyGeneration {
  id: string;
  label: string;
  /** pkcs11-tool --key-type syntax. */
  keyType: 'rsa:2048' | 'rsa:3072' | 'rsa:4096' | 'EC:prime256v1' | 'EC:secp384r1';
}

export interface AddTokenOptions {
  label: string;
  /** Default "12345678", the factory PIN on many VGCA tokens. */
  userPin?: string;
  soPin?: string;
  objects?: TokenKeyImport[];
  generate?: TokenKeyGeneration[];
}

export interface SoftHsmToken {
  label: string;
  /** Slot ID SoftHSM assigned (derived from the token serial, not a small index). */
  slotId: number;
  serial: string;
  userPin: string;
  soPin: string;
  /** DER SubjectPublicKeyInfo of each key generated on the token, by its label. */
  generated: Map<string, Uint8Array>;
  importObject(obj: TokenKeyImport): Promise<void>;
  writeCertificate(obj: { id: string; label: string; certDer: Uint8Array }): Promise<void>;
  /** Generates a non-extractable key pair on the token and returns its public key as DER SPKI. */
  generateKeyPair(spec: TokenKeyGeneration): Promise<Uint8Array>;
}

export interface SoftHsmEnv {
  module: string;
  dir: string;
  confPath: string;
  tokenDir: string;
  /** Merge into process.env (before C_Initialize) or into a child's env. */
  env: { SOFTHSM2_CONF: string };
  tokens: SoftHsmToken[];
  addToken(opts: AddTokenOptions): Promise<SoftHsmToken>;
  cleanup(): Promise<void>;
}

function normaliseId(id: string): string {
  const hex = id.toLowerCase();
  if (!/^([0-9a-f]{2})+$/.test(hex)) throw new Error(`CKA_ID "${id}" must be an even-length hex string`);
  return hex;
}

export async function createSoftHsmEnv(opts: { parentDir?: string } = {}): Promise<SoftHsmEnv> {
  const module = findSoftHsmModule();
  if (!module) {
    throw new Error(
      `libsofthsm2.so not found (looked in ${MODULE_CANDIDATES.join(', ')}); install softhsm2 or set SOFTHSM2_MODULE`,
    );
  }
  const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'kyso-softhsm-'));
  const tokenDir = join(dir, 'tokens');
  const scratchDir = join(dir, 'scratch');
  await mkdir(tokenDir, { mode: 0o700 });
  await mkdir(scratchDir, { mode: 0o700 });
  const confPath = join(dir, 'softhsm2.conf');
  await writeFile(
    confPath,
    [
      `directories.tokendir = ${tokenDir}`,
      'objectstore.backend = file',
      // ERROR keeps syslog quiet; SoftHSM logs every failed C_Login at WARNING.
      'log.level = ERROR',
      'slots.removable = false',
      '',
    ].join('\n'),
  );
  const env = { SOFTHSM2_CONF: confPath };
  const childEnv = { ...process.env, ...env };
  const tokens: SoftHsmToken[] = [];

  const tool = (args: string[]) => runOk('pkcs11-tool', ['--module', module, ...args], { env: childEnv });
  const scratch = async (suffix: string, data: string | Uint8Array): Promise<string> => {
    const p = join(scratchDir, `${randomBytes(8).toString('hex')}${suffix}`);
    await writeFile(p, data, { mode: 0o600 });
    return p;
  };

  async function addToken(o: AddTokenOptions): Promise<SoftHsmToken> {
    if (tokens.some((t) => t.label === o.label)) throw new Error(`token label "${o.label}" already used`);
    const userPin = o.userPin ?? '12345678';
    const soPin = o.soPin ?? '87654321';
    const init = await runOk(
      'softhsm2-util',
      ['--init-token', '--free', '--label', o.label, '--so-pin', soPin, '--pin', userPin],
      { env: childEnv },
    );
    const slotMatch = /reassigned to slot (\d+)/.exec(init.stdout);
    if (!slotMatch?.[1]) throw new Error(`cannot parse slot from softhsm2-util output: ${init.stdout}`);
    const slotId = Number(slotMatch[1]);
    const serial = await tokenSerial(slotId);
    const login = ['--token-label', o.label, '--login', '--pin', userPin];

    async function writeCertificate(c: { id: string; label: string; certDer: Uint8Array }): Promise<void> {
      const path = await scratch('.der', c.certDer);
      try {
        await tool([...login, '--write-object', path, '--type', 'cert', '--id', normaliseId(c.id), '--label', c.label]);
      } finally {
        await rm(path, { force: true });
      }
    }

    async function importObject(obj: TokenKeyImport): Promise<void> {
      const id = normaliseId(obj.id);
      if (obj.keyPem !== undefined) {
        const path = await scratch('.key', obj.keyPem);
        try {
          // softhsm2-util creates both the private and the public key object from the PKCS#8.
          await runOk(
            'softhsm2-util',
            ['--import', path, '--token', o.label, '--id', id, '--label', obj.label, '--pin', userPin],
            { env: childEnv },
          );
        } finally {
          await rm(path, { force: true });
        }
      }
      if (obj.certDer !== undefined) await writeCertificate({ id, label: obj.label, certDer: obj.certDer });
    }

    const generated = new Map<string, Uint8Array>();
    async function generateKeyPair(spec: TokenKeyGeneration): Promise<Uint8Array> {
      const id = normaliseId(spec.id);
      await tool([...login, '--keypairgen', '--key-type', spec.keyType, '--id', id, '--label', spec.label]);
      const out = join(scratchDir, `${randomBytes(8).toString('hex')}.spki`);
      try {
        // OpenSC writes public keys out as DER SubjectPublicKeyInfo for both RSA and EC.
        await tool(['--token-label', o.label, '--read-object', '--type', 'pubkey', '--id', id, '--output-file', out]);
        const spki = new Uint8Array(await readFile(out));
        generated.set(spec.label, spki);
        return spki;
      } finally {
        await rm(out, { force: true });
      }
    }

    const token: SoftHsmToken = {
      label: o.label,
      slotId,
      serial,
      userPin,
      soPin,
      generated,
      importObject,
      writeCertificate,
      generateKeyPair,
    };
    // Sequential on purpose: SoftHSM's file backend locks per token, and parallel writers to one
    // token only add flakiness for no gain at these sizes.
    for (const obj of o.objects ?? []) await importObject(obj);
    for (const spec of o.generate ?? []) await generateKeyPair(spec);
    tokens.push(token);
    return token;
  }

  async function tokenSerial(slotId: number): Promise<string> {
    const shown = await runOk('softhsm2-util', ['--show-slots'], { env: childEnv });
    const blocks = shown.stdout.split(/^Slot /m);
    const block = blocks.find((b) => b.startsWith(`${slotId}\n`));
    const m = block ? /Serial number:\s*(\S+)/.exec(block) : null;
    if (!m?.[1]) throw new Error(`cannot find serial of slot ${slotId} in softhsm2-util --show-slots`);
    return m[1];
  }

  return {
    module,
    dir,
    confPath,
    tokenDir,
    env,
    tokens,
    addToken,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface SoftHsmSingleToken extends SoftHsmToken {
  module: string;
  confPath: string;
  env: { SOFTHSM2_CONF: string };
  /** The environment, for adding more tokens under the same conf. */
  hsm: SoftHsmEnv;
  cleanup(): Promise<void>;
}

/** One-token shorthand for createSoftHsmEnv() + addToken(). */
export async function createSoftHsmToken(opts: AddTokenOptions & { parentDir?: string }): Promise<SoftHsmSingleToken> {
  const hsm = await createSoftHsmEnv(opts.parentDir === undefined ? {} : { parentDir: opts.parentDir });
  try {
    const token = await hsm.addToken(opts);
    return { ...token, module: hsm.module, confPath: hsm.confPath, env: hsm.env, hsm, cleanup: hsm.cleanup };
  } catch (e) {
    await hsm.cleanup();
    throw e;
  }
}
