// The queue screen's logic without a DOM: grouping by required action, filters, search without
// diacritics, ordering, counts; and that 5,000 items filter in well under a frame budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueItemView } from '../../src-shared/api/ui-types.js';
import {
  EMPTY_FILTER,
  dueClass,
  fold,
  indexItems,
  queueView,
  vnDayStart,
  withGroups,
} from '../../src-renderer/lib/queue-logic.js';

const NOW = Date.parse('2026-12-04T03:00:00Z'); // 10:00 in Hà Nội
const DAY = 24 * 3600 * 1000;

function item(id: number, o: Partial<QueueItemView> = {}): QueueItemView {
  return {
    assignmentId: id,
    documentId: `d${id}`,
    version: 1,
    title: `Văn bản ${id}`,
    docType: 'CV',
    number: null,
    notation: null,
    issuedDate: null,
    sender: { organisationId: '000.00.00.G22', name: 'Bộ Tài chính' },
    urgency: 0,
    dueAt: null,
    action: 'approval',
    status: '05',
    assignmentState: 'open',
    recallReason: null,
    size: 1000,
    local: 'none',
    receivedAt: new Date(NOW - id * 1000).toISOString(),
    ...o,
  };
}

test('fold: Vietnamese without diacritics, đ as d, case and spaces', () => {
  assert.equal(fold('  Hỏa   TỐC Đà Nẵng '), 'hoa toc da nang');
  assert.equal(fold('Quyết định'), 'quyet dinh');
});

test('due classes follow the Hà Nội calendar day', () => {
  const start = vnDayStart(NOW);
  assert.equal(new Date(start).toISOString(), '2026-12-03T17:00:00.000Z');
  assert.equal(dueClass(null, NOW), 'none');
  assert.equal(dueClass(new Date(NOW - 1000).toISOString(), NOW), 'overdue');
  assert.equal(dueClass(new Date(start + DAY - 1).toISOString(), NOW), 'today');
  assert.equal(dueClass(new Date(start + 3 * DAY).toISOString(), NOW), 'week');
  assert.equal(dueClass(new Date(start + 9 * DAY).toISOString(), NOW), 'later');
});

test('groups in the order of work, counts per action with the other filters applied', () => {
  const items = [
    item(1, { action: 'received' }),
    item(2, { action: 'approval', urgency: 1 }),
    item(3, { action: 'issue' }),
    item(4, { action: 'approval', urgency: 3 }),
    item(5, { action: 'directive', sender: { organisationId: '000.00.00.H26', name: 'UBND Hà Nội' } }),
  ];
  const idx = indexItems(items);
  const all = queueView(idx, EMPTY_FILTER, NOW);
  assert.deepEqual(
    all.rows.map((r) => r.assignmentId),
    [4, 2, 3, 5, 1],
    'approval (most urgent first), issue, directive, received',
  );
  assert.equal(all.counts.all, 5);
  assert.equal(all.counts.approval, 2);
  const rows = withGroups(all.rows, all.counts, true);
  assert.deepEqual(
    rows.filter((r) => r.kind === 'group').map((r) => (r.kind === 'group' ? r.action : '')),
    ['approval', 'issue', 'directive', 'received'],
  );
  const urgent = queueView(idx, { ...EMPTY_FILTER, urgency: 'urgent' }, NOW);
  assert.deepEqual(
    urgent.rows.map((r) => r.assignmentId),
    [4, 2],
  );
  const approvals = queueView(idx, { ...EMPTY_FILTER, action: 'approval', sender: '000.00.00.G22' }, NOW);
  assert.equal(approvals.rows.length, 2);
  assert.equal(approvals.counts.directive, 0, 'the sender filter applies to the tab counts');
  assert.deepEqual(
    all.senders.map((s) => s.name),
    ['Bộ Tài chính', 'UBND Hà Nội'],
  );
});

test('search matches title, number and sender, with or without diacritics', () => {
  const idx = indexItems([
    item(1, { title: 'Quyết định phê duyệt kế hoạch', notation: '07/QĐ-BTC' }),
    item(2, { title: 'Công văn hướng dẫn quyết toán' }),
    item(3, { title: 'Tờ trình', sender: { organisationId: 'x', name: 'Bộ Kế hoạch và Đầu tư' } }),
  ]);
  const ids = (search: string): number[] =>
    queueView(idx, { ...EMPTY_FILTER, search }, NOW).rows.map((r) => r.assignmentId);
  assert.deepEqual(ids('ke hoach'), [1, 3]);
  assert.deepEqual(ids('07/QĐ'), [1]);
  assert.deepEqual(ids('quyet toan huong'), [2]);
  assert.deepEqual(ids('không có'), []);
});

test('due filters', () => {
  const start = vnDayStart(NOW);
  const idx = indexItems([
    item(1, { dueAt: new Date(NOW - DAY).toISOString() }),
    item(2, { dueAt: new Date(start + DAY - 60000).toISOString() }),
    item(3, { dueAt: new Date(start + 5 * DAY).toISOString() }),
    item(4),
  ]);
  const ids = (due: typeof EMPTY_FILTER.due): number[] =>
    queueView(idx, { ...EMPTY_FILTER, due }, NOW)
      .rows.map((r) => r.assignmentId)
      .sort();
  assert.deepEqual(ids('overdue'), [1]);
  assert.deepEqual(ids('today'), [1, 2]);
  assert.deepEqual(ids('week'), [1, 2, 3]);
  assert.deepEqual(ids('none'), [4]);
});

test('5,000 items: index once, filter and group quickly', () => {
  const actions = ['approval', 'initials', 'issue', 'appendix', 'copy', 'received', 'directive'] as const;
  const items = Array.from({ length: 5000 }, (_, i) =>
    item(i + 1, {
      action: actions[i % actions.length]!,
      urgency: i % 5,
      title: `Công văn số ${i} về việc triển khai nhiệm vụ năm 2027`,
      dueAt: new Date(NOW + (i - 2500) * 3600 * 1000).toISOString(),
    }),
  );
  const idx = indexItems(items);
  const t0 = performance.now();
  const v = queueView(idx, { ...EMPTY_FILTER, search: 'nhiem vu 2027' }, NOW);
  const rows = withGroups(v.rows, v.counts, true);
  const ms = performance.now() - t0;
  assert.equal(v.counts.all, 5000);
  assert.equal(rows.length, 5007);
  // Not a benchmark: a guard against accidentally quadratic code (a frame is 16 ms; allow slack).
  assert.ok(ms < 500, `${ms} ms`);
});
