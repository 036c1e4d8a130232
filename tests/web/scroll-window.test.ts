import { describe, expect, it } from 'vitest';
import { columnsThatFit, scrollWindow } from '../../web/src/routes/(app)/files/[[folderId]]/scroll-window.ts';

const list = { columns: 1, rowPitch: 44, viewportHeight: 440, overscanRows: 10 };
const grid = { columns: 4, rowPitch: 180, viewportHeight: 600, overscanRows: 2 };

describe('the part of a long list or grid that is drawn', () => {
  it('draws the rows in sight and the overscan below them at the top, with the rest as space after', () => {
    expect(scrollWindow({ ...list, count: 10_000, scrollTop: 0 })).toEqual({
      first: 0,
      end: 20,
      spaceBefore: 0,
      spaceAfter: (10_000 - 20) * 44,
    });
  });

  it('keeps the drawn rows and the space around them equal to the whole height, wherever it is scrolled', () => {
    for (const layout of [list, grid]) {
      const count = 9_999;
      const rows = Math.ceil(count / layout.columns);
      for (const scrollTop of [0, 1, 43, 5_000, 123_457, rows * layout.rowPitch - layout.viewportHeight]) {
        const drawn = scrollWindow({ ...layout, count, scrollTop });
        const drawnRows = Math.ceil((drawn.end - drawn.first) / layout.columns);
        expect(drawn.spaceBefore + drawnRows * layout.rowPitch + drawn.spaceAfter).toBe(rows * layout.rowPitch);
        // Whole rows only, and every row in sight among them.
        expect(drawn.first % layout.columns).toBe(0);
        expect(drawn.spaceBefore).toBeLessThanOrEqual(scrollTop);
        expect(drawn.spaceBefore + drawnRows * layout.rowPitch).toBeGreaterThanOrEqual(
          Math.min(rows * layout.rowPitch, scrollTop + layout.viewportHeight),
        );
      }
    }
  });

  it('draws a grid row by row: the last row may be short', () => {
    const drawn = scrollWindow({ ...grid, count: 10, scrollTop: 0 });
    expect(drawn).toEqual({ first: 0, end: 10, spaceBefore: 0, spaceAfter: 0 });
    const scrolled = scrollWindow({ ...grid, count: 1_001, scrollTop: 180 * 100 });
    expect(scrolled.first).toBe(98 * 4);
    expect(scrolled.end).toBe((100 + 4 + 2) * 4);
  });

  it('draws nothing for an empty folder, and stays in range when scrolled past the end', () => {
    expect(scrollWindow({ ...grid, count: 0, scrollTop: 0 })).toEqual({
      first: 0,
      end: 0,
      spaceBefore: 0,
      spaceAfter: 0,
    });
    const past = scrollWindow({ ...list, count: 30, scrollTop: 1_000_000 });
    expect(past).toEqual({ first: 30, end: 30, spaceBefore: 30 * 44, spaceAfter: 0 });
  });
});

describe('how many cards fit across', () => {
  it('fits as many cards of the least width as the gaps allow, and never fewer than one', () => {
    expect(columnsThatFit(1000, 144, 12)).toBe(6);
    expect(columnsThatFit(144 * 2 + 12, 144, 12)).toBe(2);
    expect(columnsThatFit(144 * 2 + 11, 144, 12)).toBe(1);
    expect(columnsThatFit(0, 144, 12)).toBe(1);
  });
});
