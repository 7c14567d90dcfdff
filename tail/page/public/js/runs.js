// The run list: newest first, filtered by status and workflow, refreshed every few
// seconds while the page is visible; "Older runs" follows the API's cursor.
import { getJson } from './api.js';
import { el, ms, showState, time, usd } from './format.js';

const REFRESH_MS = 3000;

export class RunList {
  constructor({ onSelect, onUnauthorized }) {
    this.onSelect = onSelect;
    this.onUnauthorized = onUnauthorized;
    this.body = document.getElementById('runs-list');
    this.more = document.getElementById('runs-more');
    this.status = document.getElementById('runs-filter-status');
    this.workflow = document.getElementById('runs-filter-workflow');
    this.states = {
      loading: document.getElementById('runs-loading'),
      empty: document.getElementById('runs-empty'),
      error: document.getElementById('runs-error'),
    };
    this.selected = '';
    this.cursor = null;
    this.loadedOnce = false;
    /** Once older pages are shown, the auto-refresh (first page only) would drop them: it pauses. */
    this.cursorPagesLoaded = false;
    document.getElementById('runs-filter').addEventListener('input', () => this.reload());
    document.getElementById('runs-filter').addEventListener('submit', (e) => e.preventDefault());
    this.more.addEventListener('click', () => this.load({ append: true }));
    this.body.addEventListener('click', (e) => {
      const row = e.target.closest('tr[data-run-id]');
      if (row) this.onSelect(row.dataset.runId);
    });
    setInterval(() => {
      if (!document.hidden && !this.cursorPagesLoaded) this.load({ quiet: true });
    }, REFRESH_MS);
  }

  query(cursor) {
    const params = new URLSearchParams({ limit: '50' });
    if (this.status.value) params.set('status', this.status.value);
    if (this.workflow.value.trim()) params.set('workflow', this.workflow.value.trim());
    if (cursor) params.set('cursor', cursor);
    return `/api/runs?${params}`;
  }

  reload() {
    this.cursorPagesLoaded = false;
    this.load({});
  }

  /** Loads the first page (replacing the list) or, with append, the next one. */
  async load({ append = false, quiet = false }) {
    if (!quiet && !this.loadedOnce) showState(this.states, 'loading');
    try {
      const page = await getJson(this.query(append ? this.cursor : null));
      this.loadedOnce = true;
      if (append) this.cursorPagesLoaded = true;
      else this.body.replaceChildren();
      for (const run of page.runs) this.body.append(this.row(run));
      this.cursor = page.next_cursor;
      this.more.hidden = page.next_cursor === null;
      showState(this.states, this.body.children.length === 0 ? 'empty' : null);
    } catch (err) {
      if (err.status === 401) this.onUnauthorized();
      showState(this.states, 'error', `Could not load runs: ${err.message}`);
    }
  }

  row(run) {
    return el(
      'tr',
      { dataset: { runId: run.run_id, status: run.status }, 'aria-selected': String(run.run_id === this.selected), title: `${run.run_id} — ${ms(run.elapsed_ms)}` },
      el('td', {}, run.workflow_name || run.workflow_id || run.run_name || run.run_id),
      el('td', {}, el('span', { class: 'status', dataset: { status: run.status } }, run.status)),
      el('td', {}, time(run.start_time)),
      el('td', { class: 'num', dataset: { field: 'cost' } }, usd(run.totals.cost_usd)),
    );
  }

  select(runId) {
    this.selected = runId;
    for (const row of this.body.querySelectorAll('tr[data-run-id]')) row.setAttribute('aria-selected', String(row.dataset.runId === runId));
  }
}
