// The live run view: summary header with run totals, and a timeline of steps built from
// the run's SSE trace events (history first, then live). EventSource reconnects by itself
// and resumes with Last-Event-ID, so a dropped stream neither loses nor repeats events.
import { ApiError, getJson, streamUrl } from './api.js';
import { addUsd, count, el, ms, showState, usd } from './format.js';

const STEP_STATUS = { ok: 'succeeded', error: 'failed' };
/** Statuses of a run that is not finished (`queued`: accepted by the workflow service, not started yet). */
const UNFINISHED = new Set(['queued', 'running']);

/** Live state of one step (or of a span outside any step, for other producers' traces). */
function newStep(key, firstTs) {
  return {
    key, firstTs, nodeId: '', nodeType: '', label: '', status: 'running', latencyMs: null, branch: '',
    cacheHit: false, savedUsd: null, retries: 0, fallbacks: [], attempts: new Map(), inputTokens: 0, outputTokens: 0, costUsd: '0',
  };
}

export class RunView {
  constructor({ onStepSelect, onRunFinished, indicator }) {
    this.onStepSelect = onStepSelect;
    this.onRunFinished = onRunFinished;
    this.indicator = indicator;
    this.root = document.getElementById('run-view');
    this.timeline = document.getElementById('timeline');
    this.notices = document.getElementById('run-notices');
    this.totals = document.getElementById('run-totals');
    this.states = {
      empty: document.getElementById('run-empty'),
      loading: document.getElementById('run-loading'),
      error: document.getElementById('run-error'),
      content: document.getElementById('run-content'),
    };
    this.timelineEmpty = document.getElementById('timeline-empty');
    this.timeline.addEventListener('click', (e) => {
      const item = e.target.closest('li.step');
      if (!item) return;
      this.selectStep(item.dataset.stepKey);
      this.onStepSelect(this.runId, item.dataset.stepKey);
    });
    setInterval(() => this.tickElapsed(), 1000);
  }

  async show(runId) {
    this.close();
    this.runId = runId;
    this.steps = new Map();
    this.summary = null;
    this.live = { tokens: 0, costUsd: '0', llmCalls: 0 };
    this.root.dataset.runId = runId;
    this.timeline.replaceChildren();
    this.notices.replaceChildren();
    showState(this.states, 'loading');
    try {
      this.summary = await getJson(`/api/runs/${encodeURIComponent(runId)}`);
    } catch (err) {
      // A run whose first span is not stored yet is not an error: its stream will bring it.
      if (!(err instanceof ApiError && err.status === 404)) {
        showState(this.states, 'error', `Could not load run ${runId}: ${err.message}`);
        return;
      }
    }
    if (this.runId !== runId) return;
    showState(this.states, 'content');
    this.timelineEmpty.hidden = false;
    this.renderHeader();
    this.open(runId);
  }

  open(runId) {
    this.setIndicator('connecting');
    const source = new EventSource(streamUrl(`/api/runs/${encodeURIComponent(runId)}/stream`));
    this.source = source;
    source.onopen = () => this.setIndicator('live');
    source.addEventListener('trace', (message) => this.apply(JSON.parse(message.data)));
    source.addEventListener('error', (message) => {
      // A server notice (slow_consumer, shutdown) has data; a network error has none. Either way EventSource retries.
      if (message.data) this.notice('warn', `stream interrupted (${JSON.parse(message.data).reason}); resuming`);
      this.setIndicator(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    });
  }

  close() {
    this.source?.close();
    this.source = undefined;
    this.setIndicator('idle');
  }

  /** No run selected. */
  clear() {
    this.close();
    this.runId = undefined;
    delete this.root.dataset.runId;
    showState(this.states, 'empty');
  }

  setIndicator(state) {
    this.indicator.dataset.state = state;
    this.indicator.textContent = state;
  }

  /** Folds one trace event into the step model and redraws what changed. */
  apply(event) {
    const key = event.step_id || `span:${event.span_id}`;
    let step = this.steps.get(key);
    if (!step) {
      if (event.kind === 'run.status' || (event.kind === 'log' && !event.step_id)) return this.applyRunEvent(event);
      step = newStep(key, event.ts);
      this.steps.set(key, step);
    }
    const p = event.payload;
    switch (event.kind) {
      case 'llm.request':
      case 'tool.request':
        step.attempts.set(event.span_id, {
          kind: event.kind.split('.')[0], status: 'pending', attempt: p.attempt, fallbackFrom: p.fallback_from, label: p.tool ?? `${p.provider}/${p.model}`,
        });
        break;
      case 'llm.response': {
        const attempt = step.attempts.get(event.span_id) ?? { kind: 'llm', attempt: p.attempt, label: `${p.provider}/${p.model}` };
        Object.assign(attempt, { status: p.status, latencyMs: p.latency_ms, tokens: p.input_tokens + p.output_tokens, costUsd: p.cost_usd, reason: p.failure_reason });
        step.attempts.set(event.span_id, attempt);
        step.inputTokens += p.input_tokens;
        step.outputTokens += p.output_tokens;
        step.costUsd = addUsd(step.costUsd, p.cost_usd);
        this.live.tokens += p.input_tokens + p.output_tokens;
        this.live.costUsd = addUsd(this.live.costUsd, p.cost_usd);
        this.live.llmCalls++;
        break;
      }
      case 'tool.response': {
        const attempt = step.attempts.get(event.span_id) ?? { kind: 'tool', label: p.tool };
        Object.assign(attempt, { status: p.status, latencyMs: p.latency_ms, reason: p.failure_reason });
        step.attempts.set(event.span_id, attempt);
        break;
      }
      case 'retry':
        step.retries++;
        break;
      case 'fallback':
        step.fallbacks.push(`${p.from} → ${p.to}`);
        break;
      case 'cache.hit':
        step.cacheHit = true;
        step.savedUsd = p.saved_cost_usd;
        break;
      case 'log':
        if (p.source === 'step') {
          Object.assign(step, {
            nodeId: p.node_id, nodeType: p.node_type, label: p.semantic_label, branch: p.router_branch,
            status: STEP_STATUS[p.status] ?? 'succeeded', latencyMs: p.latency_ms,
          });
        } else this.notice(p.level, p.message);
        break;
      default:
        break;
    }
    if (!step.nodeId && event.kind !== 'log' && !event.step_id) step.status = STEP_STATUS[p.status] ?? step.status;
    this.renderStep(step);
    this.renderLiveTotals();
  }

  applyRunEvent(event) {
    if (event.kind === 'log') return this.notice(event.payload.level, event.payload.message);
    // The run ended: take the authoritative totals from the API.
    getJson(`/api/runs/${encodeURIComponent(this.runId)}`)
      .then((summary) => {
        if (summary.run_id !== this.runId) return;
        this.summary = summary;
        this.renderHeader();
      })
      .catch(() => {});
    this.onRunFinished(this.runId, event.payload.status);
  }

  notice(level, message) {
    this.notices.append(el('li', { dataset: { level } }, message));
  }

  renderHeader() {
    const s = this.summary;
    document.getElementById('run-title').textContent = s ? s.workflow_name || s.workflow_id || s.run_name || s.run_id : this.runId;
    const status = document.getElementById('run-status');
    const value = s?.status ?? 'running';
    status.textContent = value;
    status.dataset.status = value;
    this.root.dataset.status = value;
    if (s) for (const [name, v] of Object.entries(s.totals)) this.setTotal(name, v);
    if (s) this.setTotal('elapsed_ms', s.elapsed_ms);
  }

  /** While running, totals follow the live events; a finished run shows the stored totals. */
  renderLiveTotals() {
    if (this.summary && !UNFINISHED.has(this.summary.status)) return;
    this.setTotal('steps', [...this.steps.values()].filter((s) => s.nodeId).length);
    this.setTotal('llm_calls', this.live.llmCalls);
    this.setTotal('total_tokens', this.live.tokens);
    this.setTotal('cost_usd', this.live.costUsd);
    // Per step, a switch to a fallback target is a fallback; other attempts after the first are retries.
    let retries = 0;
    let fallbacks = 0;
    for (const step of this.steps.values()) {
      const llm = [...step.attempts.values()].filter((a) => a.kind === 'llm');
      const switches = new Set(llm.filter((a) => a.fallbackFrom).map((a) => a.fallbackFrom)).size;
      fallbacks += switches;
      retries += llm.filter((a) => a.attempt > 1).length - switches;
    }
    this.setTotal('retries', retries);
    this.setTotal('fallbacks', fallbacks);
    this.setTotal('cache_hits', [...this.steps.values()].filter((s) => s.cacheHit).length);
  }

  setTotal(name, value) {
    const node = this.totals.querySelector(`[data-total="${name}"]`);
    if (!node) return;
    node.dataset.value = value ?? '';
    node.textContent = name.endsWith('usd') ? usd(value) : name.endsWith('_ms') ? ms(value) : count(value);
  }

  tickElapsed() {
    const s = this.summary;
    if (!s || !UNFINISHED.has(s.status) || !this.source) return;
    this.setTotal('elapsed_ms', Date.now() - Date.parse(s.start_time));
  }

  renderStep(step) {
    const existing = this.timeline.querySelector(`li.step[data-step-key="${CSS.escape(step.key)}"]`);
    const attempts = [...step.attempts.entries()].map(([spanId, a]) =>
      el('li', { class: 'attempt', dataset: { spanId, kind: a.kind, status: a.status, attempt: a.attempt ?? '' } },
        el('span', {}, a.kind === 'llm' ? `#${a.attempt ?? '?'} ${a.label}` : a.label),
        el('span', {}, a.status === 'pending' ? 'running…' : a.status === 'error' ? `failed (${a.reason || 'error'})` : 'ok'),
        a.latencyMs !== undefined ? el('span', {}, ms(a.latencyMs)) : null,
        a.tokens !== undefined ? el('span', {}, `${count(a.tokens)} tok`) : null,
        a.costUsd !== undefined ? el('span', {}, usd(a.costUsd)) : null),
    );
    const item = el('li', {
      class: 'step',
      dataset: { stepKey: step.key, stepId: step.key.startsWith('span:') ? '' : step.key, nodeId: step.nodeId, status: step.status, cacheHit: String(step.cacheHit) },
      'aria-selected': String(this.selectedStep === step.key),
    },
      el('div', { class: 'step-head' },
        el('span', { class: 'step-name' }, step.nodeId || (step.key.startsWith('span:') ? [...step.attempts.values()][0]?.label ?? step.key : step.key)),
        step.nodeType ? el('span', { class: 'badge branch' }, step.nodeType) : null,
        el('span', { class: 'status', dataset: { status: step.status } }, step.status),
        step.retries ? el('span', { class: 'badge retry', dataset: { count: String(step.retries) } }, `${step.retries} ${step.retries === 1 ? 'retry' : 'retries'}`) : null,
        ...step.fallbacks.map((f) => el('span', { class: 'badge fallback' }, `fallback ${f}`)),
        step.cacheHit ? el('span', { class: 'badge cache-hit' }, `cache hit${step.savedUsd ? `, saved ${usd(step.savedUsd)}` : ''}`) : null,
        step.branch ? el('span', { class: 'badge branch' }, `branch ${step.branch}`) : null,
        el('span', { class: 'step-meta' },
          el('span', { dataset: { field: 'tokens', value: String(step.inputTokens + step.outputTokens) } }, `${count(step.inputTokens + step.outputTokens)} tok`),
          el('span', { dataset: { field: 'cost', value: step.costUsd } }, usd(step.costUsd)),
          el('span', { dataset: { field: 'latency' } }, ms(step.latencyMs)))),
      attempts.length ? el('ol', { class: 'attempts' }, ...attempts) : null,
    );
    if (existing) existing.replaceWith(item);
    else {
      const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
      this.timeline.append(item);
      if (atBottom) item.scrollIntoView({ block: 'nearest' });
    }
    this.timelineEmpty.hidden = this.steps.size > 0;
  }

  selectStep(key) {
    this.selectedStep = key;
    for (const item of this.timeline.querySelectorAll('li.step')) item.setAttribute('aria-selected', String(item.dataset.stepKey === key));
  }
}
