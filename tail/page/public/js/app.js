// Wires the page: run list, live run view, step detail and the workflow extension point,
// with the location hash as the route (#/runs/<run id>[/steps/<step key>]).
import { setApiKey } from './api.js';
import { StepDetail } from './detail.js';
import { RunList } from './runs.js';
import { RunView } from './timeline.js';
import { initWorkflows } from './workflows.js';

const keyForm = document.getElementById('api-key-form');
const askForKey = () => {
  keyForm.hidden = false;
};
keyForm.addEventListener('submit', (e) => {
  e.preventDefault();
  setApiKey(document.getElementById('api-key').value.trim());
  location.reload();
});

const detail = new StepDetail();
const runs = new RunList({ onSelect: (runId) => (location.hash = `#/runs/${encodeURIComponent(runId)}`), onUnauthorized: askForKey });
const view = new RunView({
  indicator: document.getElementById('live-indicator'),
  onStepSelect: (runId, stepKey) => (location.hash = `#/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepKey)}`),
  onRunFinished: () => runs.load({ quiet: true }),
});

function route() {
  const match = /^#\/runs\/([^/]+)(?:\/steps\/([^/]+))?$/.exec(location.hash);
  const runId = match ? decodeURIComponent(match[1]) : '';
  const stepKey = match?.[2] ? decodeURIComponent(match[2]) : '';
  runs.select(runId);
  if (runId !== view.runId) {
    if (runId) view.show(runId);
    else view.clear();
  }
  if (stepKey) {
    view.selectStep(stepKey);
    detail.show(runId, stepKey);
  } else detail.clear();
}

window.addEventListener('hashchange', route);
runs.load({});
route();
initWorkflows(document.getElementById('workflows'), { onRunStarted: (runId) => (location.hash = `#/runs/${encodeURIComponent(runId)}`) });
