import { describe, expect, it } from 'vitest';
import { keptBothName } from '../../web/src/lib/pwa/kept-both-name.ts';

describe('keptBothName', () => {
  it('numbers the name before its extension, from 1, skipping the numbers taken', () => {
    expect(keptBothName('photo.jpg', new Set(['photo.jpg']))).toBe('photo (1).jpg');
    expect(keptBothName('photo.jpg', new Set(['photo.jpg', 'photo (1).jpg', 'photo (2).jpg']))).toBe('photo (3).jpg');
  });

  it('numbers the end of a name without an extension, and of a dot file', () => {
    expect(keptBothName('README', new Set(['README']))).toBe('README (1)');
    expect(keptBothName('.bashrc', new Set(['.bashrc']))).toBe('.bashrc (1)');
  });
});
