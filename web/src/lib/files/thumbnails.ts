/**
 * Thumbnails made on the device (docs/FORMAT.md section 5.1): after an image or a video uploads, the page scales the
 * image, or a frame of the video, down to at most 256 pixels, encrypts it under the file key for that revision, and
 * stores it beside the revision. Shown in the grid, decrypted into blob: URLs kept for this page's life (dropped when
 * the account locks).
 */
import { decryptThumbnail, encryptThumbnail, MAX_THUMBNAIL_BYTES } from '$shared/crypto/index.ts';
import type { OpenNode } from './node-records.ts';

const EDGE = 256;
/** Larger images are not decoded just for a thumbnail. */
const MAX_SOURCE_BYTES = 64 * 1024 * 1024;
/** Fernet adds 57 bytes and up to 16 of padding. */
const MAX_IMAGE_BYTES = MAX_THUMBNAIL_BYTES - 80;
const DECODABLE_IMAGE = /^image\/(jpeg|png|gif|webp|avif|bmp)$/;
/** Any video type: the browser says by failing whether it plays it, and reads only the parts of the file it needs. */
const VIDEO = /^video\//;
/** A video that has shown no frame by then gets no thumbnail. */
const VIDEO_FRAME_TIMEOUT_MS = 15_000;

export function canThumbnail(file: File): boolean {
  if (typeof OffscreenCanvas === 'undefined') return false;
  return (DECODABLE_IMAGE.test(file.type) && file.size <= MAX_SOURCE_BYTES) || VIDEO.test(file.type);
}

/** The encoded thumbnail, or null when the file cannot be decoded or will not fit in the size limit. */
export async function makeThumbnail(file: File): Promise<Uint8Array | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = VIDEO.test(file.type) ? await videoFrame(file) : await createImageBitmap(file);
  } catch {
    return null;
  }
  const scale = Math.min(1, EDGE / Math.max(bitmap.width, bitmap.height));
  const canvas = new OffscreenCanvas(
    Math.max(1, Math.round(bitmap.width * scale)),
    Math.max(1, Math.round(bitmap.height * scale)),
  );
  canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  for (const quality of [0.8, 0.5]) {
    const blob = await canvas.convertToBlob({ type: 'image/webp', quality });
    if (blob.size <= MAX_IMAGE_BYTES) return new Uint8Array(await blob.arrayBuffer());
  }
  return null;
}

/**
 * A frame one second in (a tenth of the way into a shorter video), since a video's first frame is often black; the
 * first frame when the video does not tell its length.
 */
async function videoFrame(file: File): Promise<ImageBitmap> {
  const video = document.createElement('video');
  const url = URL.createObjectURL(file);
  video.muted = true;
  video.preload = 'auto';
  try {
    video.src = url;
    await videoEvent(video, 'loadeddata');
    if (Number.isFinite(video.duration) && video.duration > 0) {
      video.currentTime = Math.min(1, video.duration / 10);
      await videoEvent(video, 'seeked');
    }
    return await createImageBitmap(video);
  } finally {
    // Lets the browser drop the decoder and its hold on the file now, not when the element is collected.
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

function videoEvent(video: HTMLVideoElement, name: 'loadeddata' | 'seeked'): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer);
      video.removeEventListener(name, onEvent);
      video.removeEventListener('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onEvent = () => settle();
    const onError = () => settle(new Error(video.error?.message || 'the browser cannot decode this video'));
    const timer = setTimeout(
      () => settle(new Error(`the video showed no frame in ${VIDEO_FRAME_TIMEOUT_MS / 1000} s`)),
      VIDEO_FRAME_TIMEOUT_MS,
    );
    video.addEventListener(name, onEvent);
    video.addEventListener('error', onError);
  });
}

export async function storeThumbnail(
  fileKey: Uint8Array,
  nodeId: string,
  revision: { id: string; number: number },
  image: Uint8Array,
): Promise<void> {
  const token = await encryptThumbnail(fileKey, nodeId, revision.number, image);
  const response = await fetch(`/api/revisions/${revision.id}/thumbnail`, {
    method: 'PUT',
    body: token,
    credentials: 'same-origin',
  });
  if (!response.ok && response.status !== 409)
    throw new Error(`storing the thumbnail failed (HTTP ${response.status})`);
}

const shown = new Map<string, Promise<string | null>>();

/** A blob: URL of the node's current thumbnail, or null when it has none or it does not authenticate. */
export function thumbnailUrl(node: OpenNode, fileKey: Uint8Array): Promise<string | null> {
  const revision = node.revision;
  if (!revision?.thumbnail) return Promise.resolve(null);
  let url = shown.get(revision.id);
  if (!url) {
    url = (async () => {
      const response = await fetch(`/api/revisions/${revision.id}/thumbnail`, { credentials: 'same-origin' });
      if (!response.ok) return null;
      const image = await decryptThumbnail(
        fileKey,
        node.id,
        revision.number,
        new Uint8Array(await response.arrayBuffer()),
      );
      return URL.createObjectURL(new Blob([image], { type: 'image/webp' }));
    })().catch(() => null);
    shown.set(revision.id, url);
  }
  return url;
}

/** Forgets every decrypted thumbnail (the account locked). */
export function forgetThumbnails(): void {
  for (const url of shown.values()) void url.then((value) => value && URL.revokeObjectURL(value));
  shown.clear();
}
