/**
 * Queries over the folder tree. Those that walk along parent links are one recursive CTE each, so one round trip
 * whatever the depth, in plain SQL that Postgres and PGlite both run. Every walk stays within one owner's nodes. They
 * rely on the tree having no cycles: moves refuse to make one, under lockTree (server/nodes/move.ts). Which nodes
 * a walk may reach is the access policy's condition (server/access/policy.ts), taken as a parameter.
 */
import { and, asc, desc, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { nodesIn, type Scope } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { nodes, revisions, users } from '../db/schema.ts';

export type NodeRow = typeof nodes.$inferSelect;
export type RevisionRow = typeof revisions.$inferSelect;

/** A node with its current revision, which every node description carries. */
export interface NodeWithRevision {
  node: NodeRow;
  revision: RevisionRow | null;
}

/**
 * Serialises changes to the shape of one user's tree (moves, purges), so that two of them running at once cannot
 * together make a cycle or leave a node under a deleted parent.
 */
export async function lockTree(tx: Queryable, scope: Scope): Promise<void> {
  await tx.select({ id: users.id }).from(users).where(eq(users.id, scope.ownerId)).for('update');
}

/** Ids as a list for `in (...)`; an empty list matches nothing. */
export function idList(ids: readonly (string | null)[]): SQL {
  const present = ids.filter((id): id is string => id !== null);
  if (present.length === 0) return sql`null`;
  return sql.join(
    present.map((id) => sql`${id}`),
    sql`, `,
  );
}

/** Nodes joined with their current revisions, for a query to narrow down. */
function selectNodes(db: Queryable) {
  return db
    .select({ node: nodes, revision: revisions })
    .from(nodes)
    .leftJoin(revisions, eq(revisions.id, nodes.currentRevisionId));
}

/**
 * A subquery of the ids of the owner's nodes that `roots` selects and of everything inside them. `union` rather than
 * `union all`: a root inside another root is walked once.
 */
export function subtreeIds(scope: Scope, roots: SQL): SQL {
  return sql`with recursive subtree(id) as (
      select id from ${nodes} where ${nodesIn(scope)} and ${roots}
      union
      select child.id from ${nodes} as child join subtree on child.parent_id = subtree.id
        where ${nodesIn(scope, 'child')}
    )
    select id from subtree`;
}

/**
 * The owner's nodes whose ids `start` lists or selects, and all their ancestors, each once, from the root down (a
 * parent always comes before its children): the order in which a client unwraps their keys. In a share's scope the
 * chain starts at the shared node, and is empty for a start outside it (callers give one start node then).
 */
export async function withAncestors(db: Queryable, scope: Scope, start: SQL): Promise<NodeWithRevision[]> {
  // A share's scope ends at the shared node: the walk stops there, and a chain that never meets it is out of scope.
  const stop = scope.share ? sql`chain.id <> ${scope.share.nodeId}` : sql`true`;
  // A node's distance is its furthest from any start node, so it sorts after every one of its ancestors.
  const chain = sql`(
      with recursive chain(id, parent_id, distance) as (
        select id, parent_id, 0 from ${nodes} where ${nodesIn(scope)} and id in (${start})
        union
        select parent.id, parent.parent_id, chain.distance + 1
          from ${nodes} as parent join chain on parent.id = chain.parent_id
          where ${nodesIn(scope, 'parent')} and ${stop}
      )
      select id, max(distance) as distance from chain group by id
    ) as chain`;
  const rows = await selectNodes(db)
    .innerJoin(chain, sql`chain.id = ${nodes.id}`)
    .orderBy(sql`chain.distance desc`, asc(nodes.id));
  if (scope.share && !rows.some((row) => row.node.id === scope.share!.nodeId)) return [];
  return rows;
}

/** The owner's nodes in the trash themselves (not those only inside a trashed folder), last trashed first. */
export async function trashedNodes(db: Queryable, scope: Scope): Promise<NodeWithRevision[]> {
  return selectNodes(db)
    .where(and(nodesIn(scope), isNotNull(nodes.trashedAt)))
    .orderBy(desc(nodes.trashedAt), asc(nodes.id));
}

/** A subquery of the parents of the owner's trashed nodes: where the ancestors of the trash start. */
export function trashedParentIds(scope: Scope): SQL {
  return sql`select parent_id from ${nodes} where ${nodesIn(scope)} and trashed_at is not null`;
}

/**
 * The owner's most recently updated files that are live: neither in the trash nor inside a trashed folder. The walk
 * goes down from the root through live folders only (files are many, folders few); the files are picked from those.
 */
export async function recentLiveFiles(db: Queryable, scope: Scope, limit: number): Promise<NodeWithRevision[]> {
  const liveFolders = sql`with recursive live(id) as (
      select id from ${nodes} where ${nodesIn(scope)} and parent_id is null and trashed_at is null
      union all
      select child.id from ${nodes} as child join live on child.parent_id = live.id
        where child.kind = 'folder' and child.trashed_at is null
    )
    select id from live`;
  return selectNodes(db)
    .where(
      and(nodesIn(scope), eq(nodes.kind, 'file'), isNull(nodes.trashedAt), sql`${nodes.parentId} in (${liveFolders})`),
    )
    .orderBy(desc(nodes.updatedAt), asc(nodes.id))
    .limit(limit);
}
