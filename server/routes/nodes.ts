/**
 * Folders and files as the server sees them: ids, parent links, wrapped keys and encrypted metadata. Renaming, moving,
 * the trash (trash, restore, purge) and going back to an older revision all change only these; the client does the
 * cryptography (a move re-wraps the node key under the new parent's). The work is in server/nodes/.
 */
import { Hono } from 'hono';
import {
  createFolderSchema,
  moveNodeSchema,
  putEditorRosterSchema,
  putFolderManifestSchema,
  rekeySchema,
  renameNodeSchema,
  setCurrentRevisionSchema,
} from '../../shared/api/schemas.ts';
import { accountActor } from '../access/policy.ts';
import { requestOrigin } from '../auth/audit.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { jsonBodyLimit, rekeyBodyLimit } from '../http/limits.ts';
import { idParams, jsonBody, limitQuery } from '../http/validate.ts';
import { readRoster, writeRoster } from '../nodes/editor-rosters.ts';
import { writeManifest } from '../nodes/folder-manifests.ts';
import { createFolder, rootFolder } from '../nodes/folders.ts';
import {
  listChildren,
  listRevisions,
  listTrash,
  nodePath,
  readNode,
  RECENT_LIMIT,
  recentFiles,
} from '../nodes/listings.ts';
import { moveNode } from '../nodes/move.ts';
import { rekeyFolder, rekeyPlan } from '../nodes/rekey.ts';
import { renameNode, setCurrentRevision } from '../nodes/node-edits.ts';
import { nodeLinks } from '../links/owner-links.ts';
import { nodeShares } from '../shares/share-listings.ts';
import { deleteTrashedNode, emptyTrash, restoreNode, trashNode } from '../nodes/trash.ts';

export function nodeRoutes(deps: ServerDeps) {
  const nodeId = idParams('nodeId');
  return (
    new Hono<AuthEnv>()
      .post('/folders', jsonBodyLimit(), jsonBody(createFolderSchema), async (c) =>
        c.json(await createFolder(deps, accountActor(c.get('user')), c.req.valid('json')), 201),
      )
      .get('/root', async (c) => c.json(await rootFolder(deps, accountActor(c.get('user')))))
      // Registered before '/:nodeId', which would otherwise take 'recent' for an id.
      .get('/recent', async (c) => {
        const limit = limitQuery(c, { max: RECENT_LIMIT.max, fallback: RECENT_LIMIT.default });
        return c.json(await recentFiles(deps, accountActor(c.get('user')), limit));
      })
      .get('/:nodeId', nodeId, async (c) =>
        c.json(await readNode(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
      .patch('/:nodeId', jsonBodyLimit(), jsonBody(renameNodeSchema), nodeId, async (c) =>
        c.json(await renameNode(deps, accountActor(c.get('user')), c.req.valid('param').nodeId, c.req.valid('json'))),
      )
      .delete('/:nodeId', nodeId, async (c) =>
        c.json(
          await deleteTrashedNode(deps, accountActor(c.get('user')), c.req.valid('param').nodeId, requestOrigin(c)),
        ),
      )
      .get('/:nodeId/children', nodeId, async (c) =>
        c.json(await listChildren(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
      .get('/:nodeId/path', nodeId, async (c) =>
        c.json(await nodePath(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
      .get('/:nodeId/shares', nodeId, async (c) =>
        c.json(await nodeShares(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
      .get('/:nodeId/links', nodeId, async (c) =>
        c.json(await nodeLinks(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
      .get('/:nodeId/revisions', nodeId, async (c) =>
        c.json(await listRevisions(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
      .put('/:nodeId/current-revision', jsonBodyLimit(), jsonBody(setCurrentRevisionSchema), nodeId, async (c) =>
        c.json(
          await setCurrentRevision(deps, accountActor(c.get('user')), c.req.valid('param').nodeId, c.req.valid('json')),
        ),
      )
      // A folder's new signed manifest, after a change to its children (docs/FORMAT.md section 5.3).
      .put('/:nodeId/manifest', jsonBodyLimit(), jsonBody(putFolderManifestSchema), nodeId, async (c) =>
        c.json(
          await writeManifest(deps, accountActor(c.get('user')), c.req.valid('param').nodeId, c.req.valid('json')),
        ),
      )
      // A shared folder's editor roster (docs/FORMAT.md section 5.4): members read it, its owner signs the next one.
      .get('/:nodeId/editor-roster', nodeId, async (c) =>
        c.json(await readRoster(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
      .put('/:nodeId/editor-roster', jsonBodyLimit(), jsonBody(putEditorRosterSchema), nodeId, async (c) =>
        c.json(await writeRoster(deps, accountActor(c.get('user')), c.req.valid('param').nodeId, c.req.valid('json'))),
      )
      .post('/:nodeId/move', jsonBodyLimit(), nodeId, jsonBody(moveNodeSchema), async (c) =>
        c.json(await moveNode(deps, accountActor(c.get('user')), c.req.valid('param').nodeId, c.req.valid('json'))),
      )
      // A key rotation after a revocation: what it must cover, then all of it at once (docs/FORMAT.md section 4.6).
      .get('/:nodeId/rekey', nodeId, async (c) =>
        c.json(await rekeyPlan(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
      .post('/:nodeId/rekey', rekeyBodyLimit(), nodeId, jsonBody(rekeySchema), async (c) =>
        c.json(
          await rekeyFolder(
            deps,
            accountActor(c.get('user')),
            c.req.valid('param').nodeId,
            c.req.valid('json'),
            requestOrigin(c),
          ),
        ),
      )
      .post('/:nodeId/trash', nodeId, async (c) =>
        c.json(await trashNode(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
      .post('/:nodeId/restore', nodeId, async (c) =>
        c.json(await restoreNode(deps, accountActor(c.get('user')), c.req.valid('param').nodeId)),
      )
  );
}

/** The trash as a whole, at /api/trash: what is in it, and emptying it. */
export function trashRoutes(deps: ServerDeps) {
  return new Hono<AuthEnv>()
    .get('/', async (c) => c.json(await listTrash(deps, accountActor(c.get('user')))))
    .delete('/', async (c) => c.json(await emptyTrash(deps, accountActor(c.get('user')), requestOrigin(c))));
}
