// The step detail pane: inputs and outputs (when content capture was on), tokens, cost,
// latency, attempts and every attribute, from the run trace endpoint.
import { getJson } from './api.js';
import { count, dateTime, el, ms, showState, usd } from './format.js';

const CONTENT = [
  ['System instructions', 'gen_ai.system_instructions'],
  ['Input', 'gen_ai.input.messages'],
  ['Output', 'gen_ai.output.messages'],
  ['Tool arguments', 'gen_ai.tool.call.arguments'],
  ['Tool result', 'gen_ai.tool.call.result'],
];

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function fields(pairs) {
  return el('dl', {}, ...pairs.flatMap(([name, value, field]) => [el('dt', {}, name), el('dd', { dataset: { field } }, String(value))]));
}

function attributesTable(attributes) {
  return el('table', { class: 'attributes' }, ...Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => el('tr', { dataset: { attribute: k } }, el('td', {}, k), el('td', {}, v.length > 300 ? `${v.slice(0, 300)}…` : v))));
}

/** Captured content of a span, titled with the attempt it belongs to. */
function contentOf(span) {
  const whose = span.kind === 'llm' ? ` — attempt #${span.attempt} ${span.provider}/${span.request_model}` : span.kind === 'tool' ? ` — ${span.name}` : '';
  return CONTENT.filter(([, name]) => span.attributes[name] !== undefined)
    .map(([title, name]) => el('div', { dataset: { content: name } }, el('h3', {}, title + whose), el('pre', {}, pretty(span.attributes[name]))));
}

export class StepDetail {
  constructor() {
    this.root = document.getElementById('step-detail');
    this.content = document.getElementById('detail-content');
    this.states = {
      empty: document.getElementById('detail-empty'),
      loading: document.getElementById('detail-loading'),
      error: document.getElementById('detail-error'),
      content: this.content,
    };
  }

  clear() {
    this.request = undefined;
    this.root.dataset.state = 'empty';
    showState(this.states, 'empty');
  }

  /** Finds the step (by step id, or `span:<id>` for a span outside steps) in the run's trace pages. */
  async show(runId, stepKey) {
    const request = `${runId}/${stepKey}`;
    this.request = request;
    this.root.dataset.state = 'loading';
    showState(this.states, 'loading');
    try {
      let cursor = null;
      let found;
      do {
        const page = await getJson(`/api/runs/${encodeURIComponent(runId)}/trace?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
        found = page.steps.find((s) => (stepKey.startsWith('span:') ? `span:${s.span_id}` === stepKey : s.step_id === stepKey));
        cursor = page.next_cursor;
      } while (!found && cursor);
      if (this.request !== request) return;
      if (!found) {
        this.root.dataset.state = 'pending';
        showState(this.states, 'empty', 'This step is still running: its details appear once it is stored.');
        return;
      }
      this.render(found);
    } catch (err) {
      if (this.request !== request) return;
      this.root.dataset.state = 'error';
      showState(this.states, 'error', `Could not load the step: ${err.message}`);
    }
  }

  render(step) {
    const spans = [step, ...step.children];
    const content = spans.flatMap(contentOf);
    this.content.replaceChildren(
      el('h2', {}, step.node_id || step.name),
      fields([
        ['Status', step.status, 'status'],
        ['Type', step.node_type || step.kind, 'type'],
        ['Label', step.semantic_label || '—', 'label'],
        ['Started', dateTime(step.start_time), 'start'],
        ['Latency', ms(step.latency_ms), 'latency'],
        ['Tokens in / out', `${count(step.totals.input_tokens)} / ${count(step.totals.output_tokens)}`, 'tokens'],
        ['Cost', usd(step.totals.cost_usd), 'cost'],
        ['Attempts', `${step.totals.attempts} (${step.totals.retries} retries, ${step.totals.fallbacks} fallbacks)`, 'attempts'],
        ...(step.cache_hit ? [['Cache', `hit, saved ${usd(step.saved_cost_usd)}`, 'cache']] : []),
        ...(step.router_branch ? [['Branch', step.router_branch, 'branch']] : []),
        ...(step.failure_class ? [['Failure', `${step.failure_class} / ${step.failure_reason}: ${step.status_message}`, 'failure']] : []),
      ]),
      ...(content.length ? content : [el('p', { class: 'state', dataset: { content: 'none' } }, 'No inputs or outputs recorded: content capture was off (FLOWTRACE_CAPTURE_CONTENT=true turns it on).')]),
      el('h3', {}, 'Attempts and calls'),
      ...step.children.map((c) =>
        el('details', { dataset: { spanId: c.span_id, kind: c.kind } },
          el('summary', {}, `${c.kind === 'llm' ? `#${c.attempt} ${c.provider}/${c.request_model}` : c.name} — ${c.status}, ${ms(c.latency_ms)}${c.kind === 'llm' ? `, ${count(c.input_tokens + c.output_tokens)} tok, ${usd(c.cost_usd)}` : ''}`),
          c.failure_class ? el('p', { class: 'state error' }, `${c.failure_class} / ${c.failure_reason}: ${c.status_message}`) : null,
          attributesTable(c.attributes))),
      el('h3', {}, 'Attributes'),
      attributesTable(step.attributes),
      el('details', {}, el('summary', {}, 'Raw JSON'), el('pre', {}, JSON.stringify(step, null, 2))),
    );
    this.root.dataset.state = 'ready';
    this.root.dataset.stepKey = step.step_id || `span:${step.span_id}`;
    showState(this.states, 'content');
  }
}
