import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { QueueItemView, RequiredActionName } from '../../src-shared/api/ui-types';
import { WindowedList } from '../components/WindowedList';
import { useI18n } from '../i18n';
import { formatDate } from '../lib/format';
import {
  ACTION_ORDER,
  EMPTY_FILTER,
  dueClass,
  indexItems,
  queueView,
  withGroups,
  type DueFilter,
  type ListRow,
  type QueueFilter,
  type UrgencyFilter,
} from '../lib/queue-logic';

/** Actions that need nothing typed per document, so they can be signed in a batch. */
export const BATCHABLE: ReadonlySet<RequiredActionName> = new Set([
  'approval',
  'initials',
  'issue',
  'appendix',
  'copy',
  'received',
]);

interface Props {
  items: readonly QueueItemView[];
  syncedAt: string | null;
  selected: ReadonlySet<number>;
  onSelect(ids: Set<number>): void;
  onOpen(assignmentId: number): void;
  onSignSelected(): void;
}

const ROW = 60;
const GROUP = 34;
const heightOf = (r: ListRow): number => (r.kind === 'group' ? GROUP : ROW);

export function QueueScreen(p: Props) {
  const { t, locale } = useI18n();
  const [filter, setFilter] = useState<QueueFilter>(EMPTY_FILTER);
  const [focus, setFocus] = useState(0);
  const search = useDeferredValue(filter.search);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const index = useMemo(() => indexItems(p.items), [p.items]);
  const now = useMemo(() => Date.now(), [p.items]);
  const view = useMemo(() => queueView(index, { ...filter, search }, now), [index, filter, search, now]);
  const rows = useMemo(() => withGroups(view.rows, view.counts, filter.action === 'all'), [view, filter.action]);
  const set = (patch: Partial<QueueFilter>): void => setFilter((f) => ({ ...f, ...patch }));

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target as HTMLElement | null;
      const typing =
        target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
      if (e.key === '/' && !typing) {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const itemRows = rows.map((r, i) => (r.kind === 'item' ? i : -1)).filter((i) => i >= 0);
  const effFocus = itemRows.includes(focus) ? focus : (itemRows[0] ?? -1);
  const moveFocus = (delta: number): void => {
    if (itemRows.length === 0) return;
    const pos = Math.max(0, itemRows.indexOf(effFocus));
    const next = itemRows[Math.min(itemRows.length - 1, Math.max(0, pos + delta))]!;
    setFocus(next);
    requestAnimationFrame(() => listRef.current?.querySelector<HTMLElement>(`[data-row="${next}"]`)?.focus());
  };

  const toggle = (id: number): void => {
    const next = new Set(p.selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    p.onSelect(next);
  };
  const selectableShown = view.rows.filter((r) => BATCHABLE.has(r.action) && r.status !== '13' && r.local === 'none');
  const allShownSelected = selectableShown.length > 0 && selectableShown.every((r) => p.selected.has(r.assignmentId));

  const renderRow = (row: ListRow, i: number) => {
    if (row.kind === 'group') {
      return (
        <div className="group-row" role="heading" aria-level={3}>
          {t(`ui.action.${row.action}.group`)} <span className="count">{row.count}</span>
        </div>
      );
    }
    const it = row.item;
    const recalled = it.status === '13';
    const due = dueClass(it.dueAt, now);
    const batchable = BATCHABLE.has(it.action) && !recalled && it.local === 'none';
    return (
      <div
        className={`queue-row${p.selected.has(it.assignmentId) ? ' selected' : ''}${recalled ? ' recalled' : ''}`}
        data-row={i}
        data-testid="queue-row"
        data-assignment={it.assignmentId}
        tabIndex={effFocus === i ? 0 : -1}
        onFocus={() => setFocus(i)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            moveFocus(1);
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            moveFocus(-1);
          } else if (e.key === 'Enter') {
            e.preventDefault();
            p.onOpen(it.assignmentId);
          } else if (e.key === ' ' && batchable) {
            e.preventDefault();
            toggle(it.assignmentId);
          }
        }}
      >
        <label className="check" title={batchable ? t('ui.queue.select') : t('ui.queue.notBatchable')}>
          <input
            type="checkbox"
            checked={p.selected.has(it.assignmentId)}
            disabled={!batchable}
            onChange={() => toggle(it.assignmentId)}
            aria-label={t('ui.queue.selectItem', { title: it.title })}
            tabIndex={-1}
          />
        </label>
        <button type="button" className="row-main" onClick={() => p.onOpen(it.assignmentId)} tabIndex={-1}>
          <span className="row-title">
            {it.urgency > 0 && (
              <span className={`urgency u${it.urgency}`}>{t(`ui.urgency.${it.urgency as 1 | 2 | 3 | 4}`)}</span>
            )}
            <span className="title-text">{it.title}</span>
          </span>
          <span className="row-meta small muted">
            {it.notation ?? it.docType} · {it.sender.name}
            {recalled && <span className="badge badge-bad"> {t('ui.queue.recalled')}</span>}
            {it.local === 'pending-upload' && <span className="badge badge-warn"> {t('ui.local.pending')}</span>}
            {it.local === 'conflict' && <span className="badge badge-bad"> {t('ui.local.conflict')}</span>}
            {it.local === 'uploaded' && <span className="badge badge-good"> {t('ui.local.uploaded')}</span>}
          </span>
        </button>
        <span className={`due due-${due}`}>
          {it.dueAt ? (due === 'overdue' ? t('ui.queue.overdue') : formatDate(it.dueAt, locale)) : '—'}
        </span>
        <span className="action-label small">{t(`ui.action.${it.action}`)}</span>
      </div>
    );
  };

  return (
    <section className="queue" aria-labelledby="queue-h">
      <div className="screen-head">
        <h2 id="queue-h">{t('nav.queue')}</h2>
        <span className="muted small" data-testid="queue-count">
          {t('ui.queue.count', { n: view.counts.all, total: p.items.length })}
          {p.syncedAt ? ` · ${t('ui.queue.syncedAt', { time: formatDate(p.syncedAt, locale, true) })}` : ''}
        </span>
      </div>

      <div className="tabs" role="tablist" aria-label={t('ui.queue.byAction')}>
        {(['all', ...ACTION_ORDER] as const).map((a) => (
          <button
            key={a}
            type="button"
            role="tab"
            aria-selected={filter.action === a}
            className={filter.action === a ? 'tab active' : 'tab'}
            onClick={() => set({ action: a })}
            data-testid={`tab-${a}`}
          >
            {a === 'all' ? t('ui.queue.all') : t(`ui.action.${a}.group`)}{' '}
            <span className="count">{view.counts[a]}</span>
          </button>
        ))}
      </div>

      <div className="filters">
        <input
          ref={searchRef}
          type="search"
          className="search"
          placeholder={t('ui.queue.searchPlaceholder')}
          aria-label={t('ui.queue.search')}
          value={filter.search}
          onChange={(e) => set({ search: e.target.value })}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              moveFocus(0);
            }
          }}
          data-testid="queue-search"
        />
        <select
          aria-label={t('ui.queue.urgency')}
          value={filter.urgency}
          onChange={(e) => set({ urgency: e.target.value as UrgencyFilter })}
        >
          <option value="any">{t('ui.queue.urgencyAny')}</option>
          <option value="urgent">{t('ui.queue.urgencyUrgent')}</option>
          {([0, 1, 2, 3, 4] as const).map((u) => (
            <option key={u} value={String(u)}>
              {t(`ui.urgency.${u}`)}
            </option>
          ))}
        </select>
        <select
          aria-label={t('ui.queue.due')}
          value={filter.due}
          onChange={(e) => set({ due: e.target.value as DueFilter })}
        >
          {(['any', 'overdue', 'today', 'week', 'none'] as const).map((d) => (
            <option key={d} value={d}>
              {t(`ui.queue.due.${d}`)}
            </option>
          ))}
        </select>
        <select
          aria-label={t('ui.queue.sender')}
          value={filter.sender}
          onChange={(e) => set({ sender: e.target.value })}
        >
          <option value="">{t('ui.queue.senderAny')}</option>
          {view.senders.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({s.count})
            </option>
          ))}
        </select>
        <button type="button" className="ghost" onClick={() => setFilter(EMPTY_FILTER)}>
          {t('ui.queue.clearFilters')}
        </button>
      </div>

      <div className="selection-bar">
        <label className="check">
          <input
            type="checkbox"
            checked={allShownSelected}
            disabled={selectableShown.length === 0}
            onChange={() =>
              p.onSelect(
                allShownSelected ? new Set() : new Set(selectableShown.slice(0, 500).map((r) => r.assignmentId)),
              )
            }
            aria-label={t('ui.queue.selectAll')}
          />
          <span className="small">{t('ui.queue.selected', { n: p.selected.size })}</span>
        </label>
        <button
          type="button"
          className="primary"
          disabled={p.selected.size === 0}
          onClick={p.onSignSelected}
          data-testid="sign-selected"
          title="Ctrl+Enter"
        >
          {t('ui.queue.signSelected', { n: p.selected.size })}
        </button>
      </div>

      <div ref={listRef} className="list-holder">
        {p.items.length === 0 ? (
          <p className="empty muted">{t('queue.empty')}</p>
        ) : rows.length === 0 ? (
          <p className="empty muted">{t('ui.queue.noMatch')}</p>
        ) : (
          <WindowedList
            rows={rows}
            rowHeight={heightOf}
            render={renderRow}
            rowKey={(r, i) => (r.kind === 'item' ? r.item.assignmentId : `g-${r.action}-${i}`)}
            focusIndex={effFocus}
            label={t('nav.queue')}
            testId="queue-list"
          />
        )}
      </div>
    </section>
  );
}
