/**
 * JSON.parse keeps the last of two equal keys where other parsers keep the first or refuse, so a text with a key
 * given twice could mean one thing to one implementation and another to the next: node metadata refuses it
 * (docs/FORMAT.md section 5).
 */

/** Whether any object in `json`, a text JSON.parse has accepted, gives a key twice (compared after unescaping). */
export function hasDuplicateKey(json: string): boolean {
  // One entry per open container: the keys seen so far in an object, null in an array.
  const open: (Set<string> | null)[] = [];
  let keyNext = false;
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (char === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const keys = open.at(-1);
      if (keyNext && keys) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (keys.has(key)) return true;
        keys.add(key);
      }
      keyNext = false;
      i = end;
    } else if (char === '{') {
      open.push(new Set());
      keyNext = true;
    } else if (char === '[') {
      open.push(null);
    } else if (char === '}' || char === ']') {
      open.pop();
    } else if (char === ',') {
      keyNext = open.at(-1) instanceof Set;
    }
  }
  return false;
}
