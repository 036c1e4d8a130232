/**
 * The name a shared file takes when the user keeps both it and the file already called that: "photo (1).jpg", then
 * "photo (2).jpg"..., the number before the extension as file managers do, the first one no sibling has.
 */
export function keptBothName(name: string, taken: ReadonlySet<string>): string {
  const dot = name.lastIndexOf('.');
  // ".bashrc" has no extension: the number goes after the whole name.
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 1; ; n++) {
    const candidate = `${stem} (${n})${extension}`;
    if (!taken.has(candidate)) return candidate;
  }
}
