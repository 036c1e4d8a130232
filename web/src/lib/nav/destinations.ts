/**
 * The places the app's navigation leads to, in its order: the sidebar on a wide screen and the menu on a phone both
 * draw this list (AppNav.svelte), so a new screen is one line here. `icon` is the path of a 24-unit line icon.
 */
import type { Pathname } from '$app/types';

export interface Destination {
  path: Pathname;
  label: string;
  icon: string;
  /** Shown only to the instance's admins. */
  adminsOnly?: true;
}

export const DESTINATIONS: readonly Destination[] = [
  { path: '/', label: 'Home', icon: 'M4 10.5 12 4l8 6.5M6 9v11h4.5v-6h3v6H18V9' },
  {
    path: '/files',
    label: 'Files',
    icon: 'M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2h8.5A1.5 1.5 0 0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z',
  },
  {
    path: '/shared',
    label: 'Shared with me',
    icon: 'M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM3 20a6 6 0 0 1 12 0M16 11a3 3 0 1 0 0-6M21 20a6 6 0 0 0-4-5.7',
  },
  {
    path: '/links',
    label: 'Links',
    icon: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
  },
  { path: '/trash', label: 'Trash', icon: 'M4 7h16M9.5 7V4h5v3M6 7l1 13h10l1-13M10 11v5M14 11v5' },
  {
    path: '/contacts',
    label: 'Contacts',
    icon: 'M5 4h13a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H5zM12 12a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5zM8 17a4 4 0 0 1 8 0',
  },
  { path: '/settings', label: 'Settings', icon: 'M4 7h9M17 7h3M4 12h3M11 12h9M4 17h11M19 17h1M15 5v4M9 10v4M17 15v4' },
  { path: '/admin', label: 'Admin', icon: 'M12 3l8 3v6c0 4.5-3.4 8-8 9-4.6-1-8-4.5-8-9V6z', adminsOnly: true },
];

/** Whether `pathname` is this destination's screen or one below it (a folder under Files, a page of Admin). */
export function isCurrent(destination: Destination, pathname: string): boolean {
  if (destination.path === '/') return pathname === '/';
  return pathname === destination.path || pathname.startsWith(`${destination.path}/`);
}
