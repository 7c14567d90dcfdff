// Display formatting, and exact addition of USD decimal strings (costs are never floats).
const SCALE = 12;

function toUnits(usd) {
  const [whole, fraction = ''] = String(usd).split('.');
  return BigInt(whole + fraction.padEnd(SCALE, '0').slice(0, SCALE));
}

function fromUnits(units) {
  const text = units.toString().padStart(SCALE + 1, '0');
  const fraction = text.slice(-SCALE).replace(/0+$/, '');
  return fraction ? `${text.slice(0, -SCALE)}.${fraction}` : text.slice(0, -SCALE);
}

/** Exact sum of decimal strings; null and undefined count as 0. */
export function addUsd(...values) {
  return fromUnits(values.reduce((sum, v) => (v === null || v === undefined ? sum : sum + toUnits(v)), 0n));
}

export function usd(value) {
  if (value === null || value === undefined) return '—';
  const n = Number(value);
  if (n === 0) return '$0';
  return n < 0.01 ? `$${n.toPrecision(3)}` : `$${n.toFixed(4)}`;
}

export function ms(value) {
  if (value === null || value === undefined) return '—';
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  return `${Math.floor(value / 60_000)} m ${Math.round((value % 60_000) / 1000)} s`;
}

export function count(value) {
  return value === null || value === undefined ? '—' : Number(value).toLocaleString();
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : '—';
}

export function dateTime(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** Creates an element: el('li', { class: 'step', dataset: { stepId } }, child, 'text'). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

/** Shows exactly one of a panel's state elements (loading / empty / error / content). */
export function showState(states, active, message) {
  for (const [name, node] of Object.entries(states)) node.hidden = name !== active;
  if (message !== undefined && states[active]) states[active].textContent = message;
}
