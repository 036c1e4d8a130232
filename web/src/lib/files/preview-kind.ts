/** What kind of preview a file gets, from its media type or, when the browser gave none, its extension. */
export type PreviewKind = 'image' | 'video' | 'audio' | 'pdf' | 'text' | null;

const BY_EXTENSION: Record<string, PreviewKind> = {
  jpg: 'image',
  jpeg: 'image',
  png: 'image',
  gif: 'image',
  webp: 'image',
  avif: 'image',
  svg: 'image',
  bmp: 'image',
  mp4: 'video',
  webm: 'video',
  mov: 'video',
  m4v: 'video',
  mp3: 'audio',
  m4a: 'audio',
  ogg: 'audio',
  oga: 'audio',
  wav: 'audio',
  flac: 'audio',
  opus: 'audio',
  pdf: 'pdf',
  txt: 'text',
  md: 'text',
  csv: 'text',
  json: 'text',
  log: 'text',
  xml: 'text',
  yaml: 'text',
  yml: 'text',
  ts: 'text',
  js: 'text',
  py: 'text',
  html: 'text',
  css: 'text',
  ini: 'text',
  toml: 'text',
  sh: 'text',
};

/** Largest file decrypted for a preview: it is held in memory whole. */
export const MAX_PREVIEW_BYTES = 256 * 1024 * 1024;
/** Text previews show at most this much. */
export const MAX_TEXT_PREVIEW_BYTES = 1024 * 1024;

export function previewKind(name: string, type: string): PreviewKind {
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  if (type === 'application/pdf') return 'pdf';
  if (type.startsWith('text/') || type === 'application/json') return 'text';
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  return BY_EXTENSION[extension] ?? null;
}
