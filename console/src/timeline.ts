import type { Job } from './api/client.ts';
import { formatTime, humanise } from './format.ts';

/**
 * A job's record told as one story, oldest first: its status changes, each attempt with what Pinterest
 * answered, and what happened to its queue messages.
 */

export interface TimelineEntry {
  readonly at: string;
  readonly kind: 'status' | 'attempt' | 'incident';
  readonly title: string;
  readonly lines: readonly string[];
}

export function attemptLines(attempt: Job['attempts'][number]): string[] {
  const lines: string[] = [];
  const answer = [
    attempt.http_status === null ? null : `HTTP ${attempt.http_status}`,
    attempt.error_code === null ? null : `Pinterest code ${attempt.error_code}`,
  ].filter((part) => part !== null);
  if (answer.length > 0 || attempt.error_message) {
    lines.push([answer.join(', '), attempt.error_message].filter(Boolean).join(': '));
  }
  lines.push(attempt.finished_at ? `Finished ${formatTime(attempt.finished_at)}` : 'Still running');
  if (attempt.retry_at) lines.push(`Retry at ${formatTime(attempt.retry_at)}`);
  return lines;
}

export function timelineOf(job: Job): TimelineEntry[] {
  const entries: TimelineEntry[] = [
    ...job.status_history.map((change) => ({
      at: change.at,
      kind: 'status' as const,
      title: `Status ${change.status}`,
      lines: [],
    })),
    ...job.attempts.map((attempt) => ({
      at: attempt.started_at,
      kind: 'attempt' as const,
      title: `Attempt ${attempt.number}: ${attempt.outcome === null ? 'in progress' : humanise(attempt.outcome)}`,
      lines: attemptLines(attempt),
    })),
    ...job.incidents.map((incident) => ({
      at: incident.at,
      kind: 'incident' as const,
      title: `Incident: ${humanise(incident.kind)}`,
      lines: [
        incident.detail,
        ...(incident.queue ? [`Queue: ${incident.queue}`] : []),
        ...(incident.receive_count === undefined ? [] : [`Receives: ${incident.receive_count}`]),
      ],
    })),
  ];
  // Same-instant entries keep the order built above: status changes, then attempts, then incidents.
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => Date.parse(a.entry.at) - Date.parse(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
}
