// Building the page from data without ever parsing data as HTML: every text from the
// ledger goes into a text node, so a name can never become markup or code.

/** An element: `h('td', { class: 'num' }, 'text', child, ...)`. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/**
 * A table in a horizontally scrolling box. `columns` are `{ label, value(row), num }`;
 * `value` returns text or a node.
 */
export function table(columns, rows, attributes = {}) {
  const head = h('tr', {}, columns.map((column) => h('th', { class: column.num ? 'num' : null, scope: 'col' }, column.label)));
  const body = rows.map((row) => h('tr', {}, columns.map((column) => h('td', { class: column.num ? 'num' : null }, column.value(row)))));
  return h('div', { class: 'scroll' }, h('table', attributes, h('thead', {}, head), h('tbody', {}, body)));
}

/** A definition list of figures: `[[label, value, testId], ...]`. */
export function figures(items) {
  return h('dl', { class: 'figures' }, items.map(([label, value, id]) => h('div', {}, h('dt', {}, label), h('dd', { 'data-figure': id }, value))));
}

/** A link to a console route. */
export function link(route, text) {
  return h('a', { href: `#/${route}` }, text);
}

/** An error box with the API's code and message. */
export function errorBox(error) {
  const code = error && error.code ? `${error.code}: ` : '';
  return h('p', { class: 'error', role: 'alert' }, code + (error && error.message ? error.message : String(error)));
}
