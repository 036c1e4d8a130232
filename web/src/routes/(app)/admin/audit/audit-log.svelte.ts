/** The audit log screen's state: the filters as typed, the events they select, and the export's address. */
import type { AuditEventRecord } from '$shared/api/responses.ts';
import { auditExportUrl, auditQueryString, loadAuditEvents } from '$lib/admin/admin-api.ts';
import { Task } from '$lib/task.svelte.ts';

const PAGE = 50;

/** A local date-time field's value as the ISO time the API takes, or undefined when empty. */
function instant(local: string): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

export class AuditLog {
  userId = $state('');
  type = $state('');
  from = $state('');
  to = $state('');
  events = $state.raw<AuditEventRecord[]>([]);
  /** Whether the last page was full, so that an older one may follow. */
  more = $state(false);
  readonly task = new Task();

  /** The filters of the events shown, for the next page and the export. */
  #applied = $state('');

  get exportUrl(): string {
    return auditExportUrl(this.#applied);
  }

  search(): Promise<void> {
    return this.task.run(async () => {
      this.#applied = auditQueryString({
        userId: this.userId.trim(),
        type: this.type,
        from: instant(this.from),
        to: instant(this.to),
      });
      this.#show(await loadAuditEvents(`${this.#applied}&limit=${PAGE}`), []);
    });
  }

  older(): Promise<void> {
    const last = this.events.at(-1);
    if (!last) return Promise.resolve();
    return this.task.run(async () => {
      this.#show(await loadAuditEvents(`${this.#applied}&limit=${PAGE}&before=${last.id}`), this.events);
    });
  }

  #show(page: AuditEventRecord[], before: AuditEventRecord[]): void {
    this.events = [...before, ...page];
    this.more = page.length === PAGE;
  }
}
