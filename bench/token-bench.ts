/**
 * Token signing throughput: one login for a whole batch vs a login per signature, on SoftHSM2
 * directly and through the fault module with 300 ms injected per signature (a real token's
 * pace). Peer: OpenSC's pkcs11-tool, one process (and so one login) per signature, which is
 * how script-based signers drive tokens. Floor: node:crypto signing with the same key in
 * software. Run by bench/run.ts in its own process (SoftHSM initialises once per process).
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createFaultToken } from '../test/helpers/fault-token.js';
import { chooseToken } from '../src-core/token/token-service.js';
import { TokenSession } from '../src-core/token/token-session.js';
import { unloadAll } from '../src-core/token/pkcs11-module.js';

interface Row {
  setup: string;
  method: string;
  signatures: number;
  seconds: number;
  perSecond: number;
  msEach: number;
}

const rows: Row[] = [];
const tbs = Buffer.alloc(100, 7); // about the size of a signed-attributes SET
const record = (setup: string, method: string, n: number, t0: number): void => {
  const seconds = (performance.now() - t0) / 1000;
  rows.push({ setup, method, signatures: n, seconds, perSecond: n / seconds, msEach: (seconds * 1000) / n });
};

async function main(): Promise<void> {
  const latency = Number(process.argv[2] ?? '0');
  const n = latency > 0 ? 10 : 300;
  const ft = await createFaultToken(latency > 0 ? { sign_latency_ms: latency } : {});
  const setup =
    latency > 0 ? `fault module, ${latency} ms/signature` : 'SoftHSM2 (through the fault module, no faults)';
  try {
    const choice = chooseToken({ explicit: [ft.module] });

    let t0 = performance.now();
    const s = new TokenSession(choice.module, choice.slot);
    await s.login(Buffer.from(ft.userPin));
    for (let i = 0; i < n; i++) await s.sign(tbs, { certId: '01' });
    s.close();
    record(setup, 'kyso: one login, whole batch', n, t0);

    t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const one = new TokenSession(choice.module, choice.slot);
      await one.login(Buffer.from(ft.userPin));
      await one.sign(tbs, { certId: '01' });
      one.close();
    }
    record(setup, 'kyso: login per signature', n, t0);

    const peerN = Math.min(n, 20);
    const input = join(ft.hsm.dir, 'tbs.bin');
    writeFileSync(input, tbs);
    t0 = performance.now();
    for (let i = 0; i < peerN; i++) {
      const r = spawnSync(
        'pkcs11-tool',
        [
          '--module',
          ft.module,
          '--login',
          '--pin',
          ft.userPin,
          '--sign',
          '--id',
          '01',
          '-m',
          'SHA256-RSA-PKCS',
          '--input-file',
          input,
          '--output-file',
          join(ft.hsm.dir, 'sig.bin'),
        ],
        { env: process.env, encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`pkcs11-tool failed: ${r.stderr}`);
    }
    record(setup, 'peer: pkcs11-tool, a process + login per signature', peerN, t0);

    const key = createPrivateKey(ft.pki.person.keyPem);
    t0 = performance.now();
    for (let i = 0; i < n; i++) sign('sha256', tbs, key);
    record(setup, 'floor: node:crypto, same key in software', n, t0);
  } finally {
    unloadAll();
    await ft.cleanup();
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

void main();
