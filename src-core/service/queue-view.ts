/**
 * The queue row the UI shows, made from a server queue item: one mapping for both sync adapters
 * (the engine's local store and the plain HTTP adapter), so a new field cannot reach one and not
 * the other.
 */
import type { QueueItem } from '../../src-shared/api/sync-types.js';
import type { QueueItemView } from '../../src-shared/api/ui-types.js';

export function queueItemView(i: QueueItem, local: QueueItemView['local'], receivedAt: string): QueueItemView {
  return {
    assignmentId: i.id,
    documentId: i.documentId,
    version: i.version,
    title: i.title,
    docType: i.docType,
    number: i.number,
    notation: i.notation,
    issuedDate: i.issuedDate,
    sender: i.sender,
    urgency: i.urgency,
    dueAt: i.dueAt,
    action: i.action,
    status: i.status,
    assignmentState: i.assignmentState,
    recallReason: i.recallReason,
    size: i.size,
    local,
    receivedAt,
  };
}
