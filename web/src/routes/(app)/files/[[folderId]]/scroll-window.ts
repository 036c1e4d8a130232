/**
 * Which items of a long list or grid to draw: the rows in sight and a few more either way, and the space the rows
 * above and below them would take, so that the scrollbar stays true while about a screenful is in the page.
 */
export interface ScrollWindow {
  /** Index of the first item to draw. */
  first: number;
  /** Index after the last item to draw. */
  end: number;
  /** Pixels the undrawn rows above take. */
  spaceBefore: number;
  /** Pixels the undrawn rows below take. */
  spaceAfter: number;
}

export function scrollWindow(layout: {
  count: number;
  /** Items per row: 1 for a list. */
  columns: number;
  /** Pixels from the top of one row to the top of the next. */
  rowPitch: number;
  scrollTop: number;
  viewportHeight: number;
  /** Rows drawn beyond the viewport on each side, so that a fast scroll does not show blank space at once. */
  overscanRows: number;
}): ScrollWindow {
  const { count, columns, rowPitch, scrollTop, viewportHeight, overscanRows } = layout;
  const rows = Math.ceil(count / columns);
  const firstRow = Math.min(rows, Math.max(0, Math.floor(scrollTop / rowPitch) - overscanRows));
  const endRow = Math.min(rows, Math.max(firstRow, Math.ceil((scrollTop + viewportHeight) / rowPitch) + overscanRows));
  return {
    first: firstRow * columns,
    end: Math.min(count, endRow * columns),
    spaceBefore: firstRow * rowPitch,
    spaceAfter: (rows - endRow) * rowPitch,
  };
}

/** How many cards at least `minWidth` wide fit across `width` with `gap` between them: at least one. */
export function columnsThatFit(width: number, minWidth: number, gap: number): number {
  return Math.max(1, Math.floor((width + gap) / (minWidth + gap)));
}
