/**
 * The Content-Type of a media preview's response. The type comes from the file's metadata, which whoever made the file
 * chose: a browser's guess, or any string another app shared. Only the kinds the previewer shows pass (audio, video,
 * raster images, PDF), as a bare type; anything else, SVG (a document that can hold script) and HTML included, goes
 * out as application/octet-stream, which no browser renders. Media elements still sniff such a response, so a video
 * whose type was lost plays as before.
 */
const SHOWN_TYPE = /^(?:(?:audio|video|image)\/[a-z0-9][a-z0-9.+-]*|application\/pdf)$/;
const SCRIPTABLE_IMAGE = 'image/svg+xml';

export function mediaContentType(type: string): string {
  const bare = type.trim().toLowerCase();
  return SHOWN_TYPE.test(bare) && bare !== SCRIPTABLE_IMAGE ? bare : 'application/octet-stream';
}
