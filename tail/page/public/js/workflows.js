// Extension point: the workflow list with Run / Cancel buttons. It appears once the API
// serves GET /api/workflows (seed 004 §5); until then the section stays hidden. The
// feature that adds workflow endpoints fills in renderWorkflow's buttons and calls
// hooks.onRunStarted(runId) so the page switches to the new run's live view.
import { getJson } from './api.js';
import { el } from './format.js';

export async function initWorkflows(section, hooks) {
  const body = section.querySelector('#workflows-body');
  let workflows;
  try {
    workflows = await getJson('/api/workflows');
  } catch {
    section.dataset.state = 'unavailable';
    section.hidden = true;
    return;
  }
  section.dataset.state = 'ready';
  section.hidden = false;
  const list = Array.isArray(workflows) ? workflows : (workflows.workflows ?? []);
  body.replaceChildren(el('ul', { class: 'workflow-list' }, ...list.map((w) => renderWorkflow(w, hooks))));
}

function renderWorkflow(workflow, _hooks) {
  return el('li', { dataset: { workflowId: workflow.id } }, workflow.name ?? workflow.id);
}
