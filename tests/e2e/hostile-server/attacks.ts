/**
 * The recorder of a hostile server's attacks (threat model, ../shared/notes/threat-model.md): a test mounts one with
 * `attack()`, which switches the tamper routes on, reads from the page what the user saw, checks that the user's other
 * data still opens while the attack is on, and switches it off. What each test file recorded is then checked against
 * the table in docs/SECURITY.md (published-table.ts), so that the published table is the tested one.
 *
 * Another suite adds its attacks with one call each, and one last test:
 *
 *     const hostile = hostileServer(import.meta.url);
 *     it('…', () => hostile.attack({ row: 10, attack: '…', mount, seen, stillOpens }));
 *     it('publishes its attacks in docs/SECURITY.md', () => hostile.checkPublished());
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ROOT } from '../../run-command.ts';
import { checkPublished, type PublishedAttack, type ThreatRow } from './published-table.ts';

/** An attack switched on: how many times it struck (responses rewritten, requests watched), and how to end it. */
export interface Mounted {
  readonly rewritten: number;
  restore(): Promise<void>;
}

export interface Attack {
  row: ThreatRow;
  /** One line: what the server does. */
  attack: string;
  /** Switches the attack on, for the whole of `seen` and `stillOpens`. */
  mount: () => Promise<Mounted | Mounted[]>;
  /** Waits for what the user is shown (the refusal, the notice, the warning) and reads it from the page. */
  seen: () => Promise<string>;
  /** Opens some of the user's other data, with the attack still on: it must still work. */
  stillOpens: () => Promise<void>;
  /** Takes out of what was seen whatever changes from run to run (ids, random words), should there be any. */
  normalise?: (seen: string) => string;
}

export interface HostileServer {
  /** Mounts the attack and records it; returns what the user saw, as published. */
  attack(attack: Attack): Promise<string>;
  readonly recorded: readonly PublishedAttack[];
  /** Checks (or, with UPDATE_SECURITY_TABLE=1, rewrites) this file's lines of the table in docs/SECURITY.md. */
  checkPublished(): Promise<void>;
}

/** The recorder of the test file at `testUrl` (its import.meta.url). */
export function hostileServer(testUrl: string): HostileServer {
  const test = relative(ROOT, fileURLToPath(testUrl));
  const recorded: PublishedAttack[] = [];
  return {
    recorded,
    async attack({ row, attack, mount, seen, stillOpens, normalise = (text) => text }) {
      const mounted = [await mount()].flat();
      let shown: string;
      try {
        shown = normalise((await seen()).replace(/\s+/g, ' ').trim());
        for (const each of mounted) expect(each.rewritten, `${attack}: the attack never struck`).toBeGreaterThan(0);
        await stillOpens();
      } finally {
        for (const each of mounted) await each.restore();
      }
      expect(shown, `${attack}: the user was shown nothing`).not.toBe('');
      recorded.push({ row, attack, seen: shown, test });
      return shown;
    },
    checkPublished: () => checkPublished(test, recorded),
  };
}
