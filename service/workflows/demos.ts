// The demo workflows of executor/demos (seed 004 task 27) as workflows of a project, added
// on start when the project has never had them — a demo the user deleted stays deleted.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareGraph, type GraphRules } from './graph.ts';
import { WorkflowConflictError, type WorkflowStore } from './workflow-store.ts';

const DEMOS_DIR = fileURLToPath(new URL('../../executor/demos/', import.meta.url));

interface DemoDocument {
  id: string;
  name: string;
  description?: string;
}

/** Adds the demos the project never had; returns the ids added. */
export async function seedDemoWorkflows(workflows: WorkflowStore, projectId: string, rules: GraphRules): Promise<string[]> {
  const added: string[] = [];
  for (const file of readdirSync(DEMOS_DIR).filter((name) => name.endsWith('.json')).sort()) {
    const document = JSON.parse(readFileSync(join(DEMOS_DIR, file), 'utf8')) as DemoDocument;
    if ((await workflows.get(projectId, document.id)) !== undefined) continue;
    const graph = prepareGraph(document, { id: document.id, name: document.name }, rules);
    try {
      await workflows.create(projectId, document.id, { name: document.name, description: document.description ?? '', graph });
      added.push(document.id);
    } catch (err) {
      if (!(err instanceof WorkflowConflictError)) throw err;
    }
  }
  return added;
}
