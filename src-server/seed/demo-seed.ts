/**
 * `--seed-demo`: one ministry (Bộ Tài chính, 000.00.00.G22) with units, the four roles, an
 * outgoing register, and sample Vietnamese documents in every national status and workflow step,
 * so a client can be tried end to end. Runs once: an existing organisation means already seeded.
 * The sender ids of incoming documents are illustrative, not confirmed official codes.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db/adapter.js';
import { one } from '../db/adapter.js';
import type { DocumentStatus, RequiredAction, Urgency } from '../../src-shared/api/sync-types.js';
import { openNextStep, touchDocument } from '../domain/changes.js';
import { createOrganisation, createUnit, createUser } from '../domain/accounts.js';
import { createDocument } from '../domain/documents.js';
import { createRegister } from '../domain/registers.js';
import type { BlobStore } from '../store/blob-store.js';
import { minimalPdf } from './minimal-pdf.js';

export const DEMO_ORG = { id: '000.00.00.G22', name: 'Bộ Tài chính', abbreviation: 'BTC' };
export const DEMO_PASSWORD = 'KySo-demo-2026';

export interface DemoAccount {
  username: string;
  fullName: string;
  role: string;
  password: string;
}

const DAY = 24 * 3600 * 1000;

export async function seedDemo(db: Db, blobs: BlobStore, now = Date.now()): Promise<DemoAccount[] | null> {
  if (await one(db, 'SELECT 1 AS x FROM organisations WHERE id = ?', [DEMO_ORG.id])) return null;

  const users = await db.transaction(async (tx) => {
    await createOrganisation(tx, DEMO_ORG);
    const office = await createUnit(tx, { orgId: DEMO_ORG.id, name: 'Văn phòng Bộ', code: 'VP' });
    const legal = await createUnit(tx, { orgId: DEMO_ORG.id, name: 'Vụ Pháp chế', code: 'PC' });
    await createUnit(tx, { orgId: DEMO_ORG.id, name: 'Vụ Ngân sách nhà nước', code: 'NSNN' });
    const mk = (
      username: string,
      fullName: string,
      title: string,
      role: 'leader' | 'drafter' | 'clerk' | 'admin',
      unitId: number,
    ) => createUser(tx, { orgId: DEMO_ORG.id, unitId, username, fullName, title, role, password: DEMO_PASSWORD }, now);
    const ids = {
      leader: await mk('duc', 'Nguyễn Văn Đức', 'Thứ trưởng', 'leader', office),
      drafter: await mk('huong', 'Trần Thị Hương', 'Chuyên viên chính', 'drafter', legal),
      clerk: await mk('lan', 'Phạm Thị Lan', 'Văn thư', 'clerk', office),
      admin: await mk('quantri', 'Lê Minh Tuấn', 'Quản trị hệ thống', 'admin', office),
    };
    await createRegister(tx, {
      orgId: DEMO_ORG.id,
      code: 'VBDI',
      name: 'Sổ đăng ký văn bản đi',
      notations: { QĐ: 'QĐ-BTC', CV: 'BTC-VP', TTr: 'TTr-BTC' },
    });
    return ids;
  });

  const self = { organisationId: DEMO_ORG.id, name: DEMO_ORG.name };
  const planning = { organisationId: '000.00.00.G09', name: 'Bộ Kế hoạch và Đầu tư' };
  const hanoi = { organisationId: '000.00.00.H26', name: 'Ủy ban nhân dân thành phố Hà Nội' };

  interface Sample {
    title: string;
    docType: string;
    sender: { organisationId: string; name: string };
    urgency: Urgency;
    dueDays: number | null;
    status?: DocumentStatus;
    steps: [number, RequiredAction][][];
    /** Steps already completed, with a recorded signature (the seed's stand-in history). */
    doneSteps?: number;
    recallReason?: string;
  }
  const L = users.leader;
  const D = users.drafter;
  const C = users.clerk;
  const samples: Sample[] = [
    {
      title: 'Tờ trình về dự thảo Thông tư hướng dẫn quản lý ngân sách nhà nước năm 2027',
      docType: 'TTr',
      sender: self,
      urgency: 0,
      dueDays: 5,
      steps: [[[D, 'initials']], [[L, 'approval']], [[C, 'issue']]],
    },
    {
      title: 'Quyết định về việc phê duyệt kế hoạch kiểm tra tài chính năm 2027',
      docType: 'QĐ',
      sender: self,
      urgency: 1,
      dueDays: 2,
      steps: [[[D, 'initials']], [[L, 'approval']], [[C, 'issue']]],
      doneSteps: 1,
    },
    {
      title: 'Công văn về việc hướng dẫn quyết toán kinh phí chi thường xuyên',
      docType: 'CV',
      sender: self,
      urgency: 2,
      dueDays: 1,
      steps: [[[L, 'approval']], [[C, 'issue']], [[C, 'appendix']]],
      doneSteps: 1,
    },
    {
      title: 'Công văn đề nghị góp ý dự thảo Nghị định về đầu tư công (đến)',
      docType: 'CV',
      sender: planning,
      urgency: 3,
      dueDays: 1,
      status: '01',
      steps: [[[C, 'received']]],
    },
    {
      title: 'Công văn về việc báo cáo tình hình giải ngân vốn đầu tư công (đến)',
      docType: 'CV',
      sender: hanoi,
      urgency: 4,
      dueDays: 0,
      status: '03',
      steps: [[[L, 'directive']]],
    },
    {
      title: 'Công văn bị từ chối tiếp nhận do sai địa chỉ (đến)',
      docType: 'CV',
      sender: hanoi,
      urgency: 0,
      dueDays: null,
      status: '02',
      steps: [[[C, 'received']]],
    },
    {
      title: 'Quyết định về việc sao y văn bản của Chính phủ',
      docType: 'QĐ',
      sender: self,
      urgency: 0,
      dueDays: 7,
      steps: [[[C, 'copy']]],
    },
    {
      title: 'Quyết định về việc khen thưởng tập thể, cá nhân năm 2026',
      docType: 'QĐ',
      sender: self,
      urgency: 0,
      dueDays: null,
      status: '06',
      steps: [[[L, 'approval']]],
      doneSteps: 1,
    },
    {
      title: 'Công văn về việc điều chỉnh dự toán (đã thu hồi)',
      docType: 'CV',
      sender: self,
      urgency: 1,
      dueDays: 3,
      steps: [[[L, 'approval']]],
      recallReason: 'Văn bản ban hành nhầm; sẽ ban hành văn bản thay thế.',
    },
    {
      title: 'Công văn đề nghị thu hồi văn bản đã gửi (đồng ý thu hồi)',
      docType: 'CV',
      sender: planning,
      urgency: 0,
      dueDays: null,
      status: '15',
      steps: [[[C, 'received']]],
    },
    {
      title: 'Công văn đề nghị cập nhật văn bản (từ chối cập nhật)',
      docType: 'CV',
      sender: planning,
      urgency: 0,
      dueDays: null,
      status: '16',
      steps: [[[C, 'received']]],
    },
    {
      title: 'Tờ trình chờ phân công xử lý',
      docType: 'TTr',
      sender: self,
      urgency: 0,
      dueDays: 10,
      status: '04',
      steps: [],
    },
  ];

  for (const [i, s] of samples.entries()) {
    const pdf = minimalPdf([
      DEMO_ORG.name.toUpperCase(),
      `${s.docType} - ${s.title}`,
      'Van ban mau sinh boi kyso server --seed-demo.',
      `Ma mau: ${i + 1}`,
    ]);
    const id = await createDocument(
      db,
      blobs,
      {
        orgId: DEMO_ORG.id,
        title: s.title,
        docType: s.docType,
        sender: s.sender,
        urgency: s.urgency,
        dueAt: s.dueDays === null ? null : now + s.dueDays * DAY,
        status: s.status,
        pdf,
        createdBy: s.sender === self ? D : null,
        assignments: s.steps.flatMap((step, n) => step.map(([userId, action]) => ({ userId, action, step: n + 1 }))),
      },
      now,
    );
    await db.transaction(async (tx) => {
      for (let step = 1; step <= (s.doneSteps ?? 0); step++) {
        const done = await tx.query<{ id: number; user_id: number; action: string }>(
          "SELECT id, user_id, action FROM assignments WHERE document_id = ? AND step = ? AND state = 'open'",
          [id, step],
        );
        for (const a of done) {
          const role = a.user_id === L ? 'leader' : a.user_id === C ? 'clerk' : 'drafter';
          const kind = a.action === 'initials' || a.action === 'approval' ? 'personal' : 'organisation';
          // No real signature exists in seeded files; the fingerprint marks it as seed data.
          const fp = createHash('sha256').update(`seed:${id}:${a.id}`).digest('hex');
          await tx.exec(
            `INSERT INTO signatures (document_id, version, assignment_id, user_id, signer_cert_sha256, signer_kind,
               signer_role, action, created_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)`,
            [id, a.id, a.user_id, fp, kind, role, a.action, now],
          );
          await tx.exec("UPDATE assignments SET state = 'done', completed_version = 1 WHERE id = ?", [a.id]);
        }
        await openNextStep(tx, id, now);
      }
      if (s.recallReason) {
        await tx.exec("UPDATE documents SET status = '13', recall_reason = ? WHERE id = ?", [s.recallReason, id]);
      }
      await touchDocument(tx, id, now);
    });
  }
  return [
    { username: 'duc', fullName: 'Nguyễn Văn Đức (Thứ trưởng)', role: 'leader', password: DEMO_PASSWORD },
    { username: 'huong', fullName: 'Trần Thị Hương', role: 'drafter', password: DEMO_PASSWORD },
    { username: 'lan', fullName: 'Phạm Thị Lan (Văn thư)', role: 'clerk', password: DEMO_PASSWORD },
    { username: 'quantri', fullName: 'Lê Minh Tuấn', role: 'admin', password: DEMO_PASSWORD },
  ];
}
