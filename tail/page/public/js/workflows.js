// The workflow list (seed 004 §5, served by the workflow service): each workflow with a Run
// button that opens a form built from the workflow's declared inputs, starts a run and
// switches the page to the run's live view, and its recent runs with a Cancel button while
// they are queued or running. Hidden when the API serves no workflows (plain `flowtrace tail`).
import { getJson, postJson } from './api.js';
import { el, time } from './format.js';

const REFRESH_MS = 2000;
const RECENT_RUNS = 5;
const UNFINISHED = new Set(['queued', 'running']);

export async function initWorkflows(section, hooks) {
  const body = section.querySelector('#workflows-body');
  let page;
  try {
    page = await getJson('/api/workflows?limit=100');
  } catch {
    section.dataset.state = 'unavailable';
    section.hidden = true;
    return;
  }
  section.dataset.state = 'ready';
  section.hidden = false;
  const items = page.workflows.map((workflow) => new WorkflowItem(workflow, hooks));
  body.replaceChildren(
    items.length ? el('ul', { class: 'workflow-list' }, ...items.map((item) => item.node)) : el('p', { class: 'state' }, 'No workflows yet: POST /api/workflows adds one.'),
  );
  await Promise.all(items.map((item) => item.refreshRuns()));
  // Only workflows with a queued or running run are polled.
  setInterval(() => {
    for (const item of items) if (item.hasUnfinishedRuns) item.refreshRuns();
  }, REFRESH_MS);
}

/** A form field's value: text as typed, or JSON when the input's default is not text. */
function fieldValue(field, declaration) {
  const text = field.value;
  if (typeof declaration.default === 'string' || declaration.default === undefined) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${field.name}: expected JSON like the default (${JSON.stringify(declaration.default)})`);
  }
}

class WorkflowItem {
  constructor(workflow, hooks) {
    this.workflow = workflow;
    this.hooks = hooks;
    this.hasUnfinishedRuns = false;
    this.form = this.renderForm();
    this.runs = el('ol', { class: 'workflow-runs', 'aria-label': `Runs of ${workflow.name}` });
    const runButton = el('button', { type: 'button', class: 'run' }, 'Run');
    runButton.addEventListener('click', () => {
      this.form.hidden = !this.form.hidden;
      if (!this.form.hidden) this.form.querySelector('textarea, button')?.focus();
    });
    this.node = el(
      'li',
      { class: 'workflow', dataset: { workflowId: workflow.id } },
      el('div', { class: 'workflow-head' },
        el('span', { class: 'workflow-name', title: workflow.description || workflow.id }, workflow.name),
        el('span', { class: 'badge branch' }, `v${workflow.latest_version}`),
        runButton),
      this.form,
      this.runs,
    );
  }

  renderForm() {
    const inputs = Object.entries(this.workflow.inputs ?? {});
    const fields = inputs.map(([name, declaration]) => {
      const required = declaration.required ?? declaration.default === undefined;
      const value = declaration.default === undefined ? '' : typeof declaration.default === 'string' ? declaration.default : JSON.stringify(declaration.default);
      const field = el('textarea', { name, rows: '2', required: required ? '' : undefined, placeholder: declaration.description ?? '' });
      field.value = value;
      return el('label', { class: 'input-field' }, el('span', {}, name, required ? ' *' : ''), field);
    });
    const error = el('p', { class: 'state error', role: 'alert', hidden: '' });
    const form = el('form', { class: 'run-form', hidden: '' },
      ...(fields.length ? fields : [el('p', { class: 'state' }, 'This workflow takes no inputs.')]),
      el('button', { type: 'submit' }, 'Start run'),
      error);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.start(form, error, inputs);
    });
    return form;
  }

  async start(form, error, inputs) {
    error.hidden = true;
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const inputVars = {};
      for (const [name, declaration] of inputs) inputVars[name] = fieldValue(form.elements.namedItem(name), declaration);
      // One key per submission: a retried or doubled request starts no second run.
      const started = await postJson(`/api/workflows/${encodeURIComponent(this.workflow.id)}/runs`, { input_vars: inputVars }, { 'Idempotency-Key': crypto.randomUUID() });
      form.hidden = true;
      this.hooks.onRunStarted(started.runId);
      await this.refreshRuns();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  }

  async refreshRuns() {
    let page;
    try {
      page = await getJson(`/api/workflows/${encodeURIComponent(this.workflow.id)}/runs?limit=${RECENT_RUNS}`);
    } catch {
      return;
    }
    this.hasUnfinishedRuns = page.runs.some((run) => UNFINISHED.has(run.status));
    // Redrawn only on a change, so a button is not replaced under the pointer.
    const shown = JSON.stringify(page.runs);
    if (shown === this.shownRuns) return;
    this.shownRuns = shown;
    this.runs.replaceChildren(...page.runs.map((run) => this.renderRun(run)));
  }

  renderRun(run) {
    const open = el('a', { href: `#/runs/${encodeURIComponent(run.run_id)}`, title: run.run_id },
      el('span', { class: 'status', dataset: { status: run.status } }, run.status), ` ${time(run.queued_at)}`);
    const item = el('li', { dataset: { runId: run.run_id, status: run.status } }, open);
    if (UNFINISHED.has(run.status)) {
      const cancel = el('button', { type: 'button', class: 'cancel' }, 'Cancel');
      cancel.addEventListener('click', async () => {
        cancel.disabled = true;
        try {
          await postJson(`/api/runs/${encodeURIComponent(run.run_id)}/cancel`);
        } catch (err) {
          cancel.title = err.message;
        }
        await this.refreshRuns();
      });
      item.append(cancel);
    }
    return item;
  }
}
