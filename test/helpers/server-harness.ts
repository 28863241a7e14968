// Starts the reference workflow server on 127.0.0.1 over a real database (a SQLite file in a temp
// dir, or a fresh schema in a real PostgreSQL), with a fixed cast of organisations and users,
// and an HTTP client whose every answer is checked against docs/sync-api.openapi.yaml.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequiredAction, Urgency } from '../../src-shared/api/sync-types.js';
import { startKysoServer, type KysoServer } from '../../src-server/app.js';
import type { Db } from '../../src-server/db/adapter.js';
import { openDatabase } from '../../src-server/db/open-db.js';
import { createOrganisation, createUnit, createUser } from '../../src-server/domain/accounts.js';
import { createDocument } from '../../src-server/domain/documents.js';
import type { UploadInspection, UploadInspector } from '../../src-server/domain/inspector.js';
import { createRegister } from '../../src-server/domain/registers.js';
import { minimalPdf } from '../../src-server/seed/minimal-pdf.js';
import { BlobStore } from '../../src-server/store/blob-store.js';
import { OpenApiChecker } from './server-openapi.js';
import { sharedPostgres } from './postgres.js';

export type DbKind = 'sqlite' | 'postgres';

export const ORG_A = { id: '000.00.00.G22', name: 'Bộ Tài chính', abbreviation: 'BTC' };
export const ORG_B = { id: '000.00.00.G09', name: 'Bộ Kế hoạch và Đầu tư', abbreviation: 'BKHĐT' };

/** username → [organisation, role, full name, title] */
const CAST = {
  duc: [ORG_A, 'leader', 'Nguyễn Văn Đức', 'Thứ trưởng'],
  tuan: [ORG_A, 'leader', 'Lê Minh Tuấn', 'Vụ trưởng'],
  huong: [ORG_A, 'drafter', 'Trần Thị Hương', 'Chuyên viên'],
  lan: [ORG_A, 'clerk', 'Phạm Thị Lan', 'Văn thư'],
  quantri: [ORG_A, 'admin', 'Hoàng Quản Trị', 'Quản trị hệ thống'],
  binh: [ORG_B, 'leader', 'Đỗ Thanh Bình', 'Thứ trưởng'],
  binhadmin: [ORG_B, 'admin', 'Vũ Hải', 'Quản trị hệ thống'],
} as const;
export type Username = keyof typeof CAST;
export const passwordOf = (u: string): string => `mật-khẩu-${u}-2026`;

// ---------------------------------------------------------------------------------------------
// STAND-IN INSPECTOR. Until the real PDF signature inspector (src-core) is wired into the server,
// the tests describe each upload's signatures in a JSON sidecar keyed by the SHA-256 of the
// uploaded bytes. Only the facts (valid? whose certificate? which kind?) come from the sidecar;
// every rule applied to them is the server's real code.
// ---------------------------------------------------------------------------------------------
export class SidecarInspector implements UploadInspector {
  readonly calls: { file: string; priorLength: number }[] = [];
  constructor(readonly dir: string) {}

  async inspect(file: string, priorLength: number): Promise<UploadInspection> {
    this.calls.push({ file, priorLength });
    const sha = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
    try {
      return JSON.parse(await readFile(join(this.dir, `${sha}.json`), 'utf8')) as UploadInspection;
    } catch {
      return { newSignatures: [], errors: ['stand-in inspector: no sidecar for this upload'] };
    }
  }

  /** Builds an upload = prior bytes + an appended revision, and records its facts. */
  async signedUpload(prior: Buffer, facts: UploadInspection): Promise<Buffer> {
    const body = Buffer.concat([
      prior,
      Buffer.from(`\n% kyso test revision ${randomBytes(8).toString('hex')}\n%%EOF\n`),
    ]);
    const sha = createHash('sha256').update(body).digest('hex');
    await writeFile(join(this.dir, `${sha}.json`), JSON.stringify(facts));
    return body;
  }
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  body?: Buffer | string | object;
  /** Skip the OpenAPI check (for deliberately off-contract probes such as unknown paths). */
  unchecked?: boolean;
}

export interface Harness {
  kind: DbKind;
  url: string;
  db: Db;
  blobs: BlobStore;
  dir: string;
  inspector: SidecarInspector;
  clock: { offsetMs: number; fixed: number | null };
  users: Record<Username, number>;
  units: { office: number; legal: number; otherOrg: number };
  registerId: number;
  spec: OpenApiChecker;
  /** Responses checked against the OpenAPI document, by "METHOD status". */
  checked: Map<string, number>;
  http(method: string, path: string, opts?: RequestOptions): Promise<HttpResult>;
  login(user: Username): Promise<string>;
  createDoc(spec: {
    title?: string;
    docType?: string;
    org?: typeof ORG_A;
    urgency?: Urgency;
    steps: [Username, RequiredAction][][];
    createdBy?: Username;
  }): Promise<{ id: string; pdf: Buffer }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  maxUploadBytes?: number;
  /** The real engine inspector instead of the sidecar stand-in. */
  inspector?: UploadInspector;
  rateLimit?: { maxFailures: number; windowMs: number };
}

let checker: OpenApiChecker | null = null;

export async function startHarness(kind: DbKind, opts: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), `kyso-server-${kind}-`));
  const dbSpec = kind === 'sqlite' ? join(dir, 'kyso.sqlite') : await (await sharedPostgres()).freshSchemaUrl();
  const db = await openDatabase(dbSpec);
  const blobs = new BlobStore(join(dir, 'blobs'));
  const sidecars = join(dir, 'sidecars');
  await mkdir(sidecars);
  const inspector = new SidecarInspector(sidecars);
  const clock = { offsetMs: 0, fixed: null as number | null };
  const now = (): number => clock.fixed ?? Date.now() + clock.offsetMs;

  const { users, units, registerId } = await db.transaction(async (tx) => {
    await createOrganisation(tx, ORG_A);
    await createOrganisation(tx, ORG_B);
    const office = await createUnit(tx, { orgId: ORG_A.id, name: 'Văn phòng Bộ', code: 'VP' });
    const legal = await createUnit(tx, { orgId: ORG_A.id, name: 'Vụ Pháp chế', code: 'PC' });
    const otherOrg = await createUnit(tx, { orgId: ORG_B.id, name: 'Văn phòng Bộ KHĐT', code: 'VP' });
    const ids = {} as Record<Username, number>;
    for (const [username, [org, role, fullName, title]] of Object.entries(CAST)) {
      ids[username as Username] = await createUser(tx, {
        orgId: org.id,
        unitId: org === ORG_A ? office : otherOrg,
        username,
        fullName,
        title,
        role,
        password: passwordOf(username),
      });
    }
    const registerId = await createRegister(tx, {
      orgId: ORG_A.id,
      code: 'VBDI',
      name: 'Sổ đăng ký văn bản đi',
      notations: { QĐ: 'QĐ-BTC', CV: 'BTC-VP', TTr: 'TTr-BTC' },
    });
    return { users: ids, units: { office, legal, otherOrg }, registerId };
  });

  const server: KysoServer = await startKysoServer({
    db,
    blobs,
    inspector: opts.inspector ?? inspector,
    now,
    maxUploadBytes: opts.maxUploadBytes ?? 1024 * 1024,
    rateLimit: opts.rateLimit,
    log: () => undefined,
  });
  checker ??= new OpenApiChecker();
  const spec = checker;
  const checked = new Map<string, number>();

  function http(method: string, path: string, o: RequestOptions = {}): Promise<HttpResult> {
    const headers: Record<string, string> = { ...o.headers };
    let payload: Buffer | undefined;
    if (Buffer.isBuffer(o.body)) payload = o.body;
    else if (typeof o.body === 'string') payload = Buffer.from(o.body);
    else if (o.body !== undefined) {
      payload = Buffer.from(JSON.stringify(o.body));
      headers['content-type'] ??= 'application/json';
    }
    if (payload) headers['content-length'] ??= String(payload.length);
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (!o.unchecked) {
            try {
              spec.check({
                method,
                path: path.split('?')[0]!,
                status,
                contentType: res.headers['content-type'],
                body,
              });
            } catch (e) {
              reject(e as Error);
              return;
            }
            const k = `${method} ${path.split('?')[0]!.replace(/\/documents\/[^/]+/, '/documents/{id}')} ${status}`;
            checked.set(k, (checked.get(k) ?? 0) + 1);
          }
          resolve({
            status,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body.toString('utf8')) as T,
          });
        });
      });
      // The server may answer (413) and close before the whole body is written: that is expected.
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') reject(e);
      });
      req.end(payload);
    });
  }

  async function login(user: Username): Promise<string> {
    const r = await http('POST', '/api/v1/auth/password', { body: { username: user, password: passwordOf(user) } });
    if (r.status !== 200) throw new Error(`login ${user}: ${r.status} ${r.body.toString()}`);
    return r.json<{ accessToken: string }>().accessToken;
  }

  let docCounter = 0;
  async function createDoc(s: Parameters<Harness['createDoc']>[0]): Promise<{ id: string; pdf: Buffer }> {
    docCounter++;
    const title = s.title ?? `Quyết định thử nghiệm số ${docCounter}`;
    const pdf = minimalPdf([title, `nonce ${randomBytes(6).toString('hex')}`]);
    const org = s.org ?? ORG_A;
    const id = await createDocument(
      db,
      blobs,
      {
        orgId: org.id,
        title,
        docType: s.docType ?? 'QĐ',
        sender: { organisationId: org.id, name: org.name },
        urgency: s.urgency ?? 0,
        dueAt: now() + 3 * 24 * 3600 * 1000,
        pdf,
        createdBy: users[s.createdBy ?? 'huong'],
        assignments: s.steps.flatMap((step, i) =>
          step.map(([u, action]) => ({ userId: users[u], action, step: i + 1 })),
        ),
      },
      now(),
    );
    return { id, pdf };
  }

  return {
    kind,
    url: server.url,
    db,
    blobs,
    dir,
    inspector,
    clock,
    users,
    units,
    registerId,
    spec,
    checked,
    http,
    login,
    createDoc,
    async close() {
      await server.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
