import { describe, expect, it } from 'vitest';
import { givenNameProblem, shownName, tidyName } from '../../web/src/lib/files/given-names.ts';
import { namedUploads } from '../../web/src/lib/upload/upload-names.ts';

const picked = (...paths: string[]) => paths.map((path) => ({ file: new File(['x'], 'x'), path }));

describe('names a user or a device gives (FORMAT.md 5)', () => {
  it('trims surrounding white space from a file and the folders it came in, and keeps inner spaces', () => {
    const [upload] = namedUploads(picked(' Photos 2026\u00a0/\u3000trip /a.txt '));
    expect(upload).toMatchObject({ folders: ['Photos 2026', 'trip'], name: 'a.txt' });
    expect(namedUploads(picked('a  b.txt'))[0]!.name).toBe('a  b.txt');
  });

  it('refuses the batch at a name holding a control or bidirectional character, naming it without showing it', () => {
    expect(() => namedUploads(picked('fine.txt', 'invoice\u202efdp.exe'))).toThrow(
      '"invoice<U+202E>fdp.exe" cannot be uploaded: the name contains an invisible control character (U+202E), ' +
        'which Coffer does not allow in names.',
    );
    expect(() => namedUploads(picked('Scans\u0007/a.pdf'))).toThrow(
      '"Scans<U+0007>/a.pdf" cannot be uploaded: the name contains an invisible control character (U+0007)',
    );
    expect(() => namedUploads(picked('a\ud800.txt'))).toThrow('an unpaired UTF-16 surrogate (U+D800)');
  });

  it('refuses a folder or file whose name is only white space or a dot', () => {
    expect(() => namedUploads(picked('  /a.txt'))).toThrow('"  /a.txt" cannot be uploaded: a name cannot be empty.');
    expect(() => namedUploads(picked('.. /a.txt'))).toThrow('cannot be uploaded: ".." cannot be a name.');
  });

  it('checks a typed name as it will be written: tidied', () => {
    expect(givenNameProblem(' Reports ')).toBeNull();
    expect(tidyName(' Reports ')).toBe('Reports');
    expect(givenNameProblem('Q1\u2066 ')).toBe(
      'the name contains an invisible control character (U+2066), which Coffer does not allow in names',
    );
    expect(shownName('a\u0085b\u202ac\u{1f600}')).toBe('a<U+0085>b<U+202A>c\u{1f600}');
  });
});
