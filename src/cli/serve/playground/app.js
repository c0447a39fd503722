// The playground: edits a message's fields, composes the message file (TOML) from them,
// and on every change asks the service to lint it (/v1/lint) and render it for the
// record on the right with the channel checks (/v1/preview with a record). Lint spans
// are byte ranges of the composed file; each field is written as a TOML literal string,
// whose bytes are the field's own, so a span maps straight back into the field's editor.
'use strict';

const $ = (id) => document.getElementById(id);
const NAME = 'playground.toml';
const PUSH_LIMIT = 4096;

const STARTERS = {
  push: {
    title: "A coupon for you, {{ Profile.Name | default: 'friend' }}",
    body: "Use {{ Event['Coupon Code'] | default: 'your coupon' }} before {{ Event['Coupon Expiry Date'] | date: '%-d %b' }}.",
    deep_link: "shop://coupons/{{ Event['Coupon Id'] }}",
  },
  sms: { body: "Hi {{ Profile.Name | default: 'there' }}, your coupon {{ Event['Coupon Code'] | default: 'is ready' }}." },
  email: { subject: 'A coupon for you', html: "<p>Hi {{ Profile.Name | default: 'there' }}</p>" },
  inapp: { body: "A coupon for you: {{ Event['Coupon Code'] | default: 'open the app' }}" },
  webhook: { body: '{"user": "{{ Profile.Name | default: \'\' }}"}' },
};

const state = {
  schema: null,
  text: {},          // field name -> its Liquid source
  editors: {},       // field name -> { textarea, backdrop }
  lastFocused: null,
  samples: [],
  busy: false,
  dirty: false,
};

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${json.kind}: ${json.message}`);
  return json;
}

function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

// The index in a JS string of a byte offset into its UTF-8 form.
function byteToIndex(text, byte) {
  let b = 0;
  let i = 0;
  for (const ch of text) {
    if (b >= byte) break;
    const cp = ch.codePointAt(0);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += ch.length;
  }
  return i;
}

// The index in a JS string of a 1-based line and a column in characters.
function lineColToIndex(text, line, col) {
  const lines = text.split('\n');
  let i = 0;
  for (let l = 1; l < line && l <= lines.length; l++) i += lines[l - 1].length + 1;
  let c = 1;
  for (const ch of lines[line - 1] || '') {
    if (c >= col) break;
    i += ch.length;
    c++;
  }
  return i;
}

// One tag or output from `start`: to the next `}}` or `%}`, else one character.
function tagEnd(text, start) {
  const ends = ['}}', '%}'].map((d) => text.indexOf(d, start)).filter((i) => i >= 0);
  return ends.length ? Math.min(...ends) + 2 : Math.min(start + 1, text.length);
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

function event() { return $('event').value; }
function channel() { return $('channel').value; }
function channelFields() {
  return state.schema.channels.find((c) => c.name === channel()).fields;
}

// The message file, and where each field's text starts in it (bytes), when it is
// written as a literal string.
function compose() {
  let toml = `event = ${JSON.stringify(event())}\nchannel = ${JSON.stringify(channel())}\n\n[fields]\n`;
  const starts = {};
  for (const f of channelFields()) {
    const text = state.text[f.name] || '';
    if (!f.required && text === '') continue;
    // A literal string cannot hold ''' or control characters: those fields are
    // written escaped, and their findings are placed by line and column instead.
    if (!text.includes("'''") && !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) {
      toml += `${f.name} = '''\n`;
      starts[f.name] = utf8Length(toml);
      toml += `${text}'''\n`;
    } else {
      toml += `${f.name} = ${JSON.stringify(text)}\n`;
    }
  }
  return { toml, starts };
}

function buildFields() {
  const box = $('fields');
  box.textContent = '';
  state.editors = {};
  const starter = STARTERS[channel()] || {};
  for (const f of channelFields()) {
    if (state.text[f.name] === undefined) state.text[f.name] = starter[f.name] || '';
    const wrap = document.createElement('div');
    wrap.className = 'field';
    wrap.innerHTML = `<label for="field-${f.name}">${f.name} <span class="req">${f.required ? 'required' : 'optional'}</span></label>
      <div class="editor"><div class="backdrop" aria-hidden="true"></div>
      <textarea id="field-${f.name}" data-field="${f.name}" spellcheck="false" rows="2"></textarea></div>`;
    const textarea = wrap.querySelector('textarea');
    const backdrop = wrap.querySelector('.backdrop');
    textarea.value = state.text[f.name];
    textarea.addEventListener('input', () => {
      state.text[f.name] = textarea.value;
      drawMarks(f.name, []);
      schedule();
    });
    textarea.addEventListener('focus', () => { state.lastFocused = f.name; });
    textarea.addEventListener('scroll', () => { backdrop.scrollTop = textarea.scrollTop; });
    state.editors[f.name] = { textarea, backdrop };
    box.appendChild(wrap);
    fit(textarea);
  }
}

function fit(textarea) {
  textarea.style.height = 'auto';
  textarea.style.height = `${textarea.scrollHeight + 2}px`;
}

// Draws the underlines of one field: marks are [start, end, severity, title].
function drawMarks(field, marks) {
  const editor = state.editors[field];
  if (!editor) return;
  const text = editor.textarea.value;
  fit(editor.textarea);
  marks = marks.filter((m) => m[1] > m[0]).sort((a, b) => a[0] - b[0]);
  let html = '';
  let at = 0;
  for (const [start, end, severity, title] of marks) {
    if (start < at) continue;
    html += escapeHtml(text.slice(at, start));
    html += `<mark class="diag ${severity}" title="${escapeHtml(title)}">${escapeHtml(text.slice(start, end))}</mark>`;
    at = end;
  }
  html += `${escapeHtml(text.slice(at))} `;
  editor.backdrop.innerHTML = html;
}

function showDiagnostics(report, starts) {
  const marks = {};
  const list = $('diagnostics');
  list.textContent = '';
  const all = report.files[0].diagnostics;
  for (const d of all) {
    const text = d.field !== undefined ? state.text[d.field] || '' : '';
    let range = null;
    if (d.field !== undefined && d.span && starts[d.field] !== undefined) {
      const start = byteToIndex(text, d.span[0] - starts[d.field]);
      range = [start, byteToIndex(text, d.span[1] - starts[d.field])];
    } else if (d.field !== undefined && d.field_at) {
      const start = lineColToIndex(text, d.field_at.line, d.field_at.col);
      range = [start, tagEnd(text, start)];
    }
    if (range) (marks[d.field] = marks[d.field] || []).push([...range, d.severity, d.message]);
    const li = document.createElement('li');
    li.className = d.severity;
    const where = d.field !== undefined ? `${d.field}${d.field_at ? `:${d.field_at.line}:${d.field_at.col}` : ''}` : NAME;
    li.innerHTML = `<span class="code">${d.severity}[${escapeHtml(d.code)}]</span> <span class="quiet">${escapeHtml(where)}</span> ${escapeHtml(d.message)}${d.help ? ` <span class="quiet">(${escapeHtml(d.help)})</span>` : ''}`;
    list.appendChild(li);
  }
  if (!all.length) list.innerHTML = '<li class="quiet">No findings.</li>';
  return marks;
}

function showOutcome(preview, marks) {
  const status = $('status');
  status.textContent = preview.outcome;
  status.className = `badge ${preview.outcome}`;
  const output = $('output');
  output.textContent = '';
  const message = $('outcome-message');
  message.hidden = true;
  for (const f of channelFields()) {
    const text = preview.outcome === 'rendered' ? preview.fields[f.name] : undefined;
    if (text === undefined && !(f.name in state.text && state.text[f.name])) continue;
    const div = document.createElement('div');
    div.className = 'out';
    div.innerHTML = `<b>${f.name}</b><div data-output="${f.name}"></div>`;
    div.querySelector('div').textContent = text === undefined ? '' : text;
    output.appendChild(div);
  }
  if (preview.outcome === 'failed' || preview.outcome === 'aborted') {
    message.hidden = false;
    message.textContent = preview.outcome === 'failed'
      ? `${preview.kind}: ${preview.message}`
      : `aborted: ${preview.reason || 'no reason given'} (field ${preview.field})`;
    // `at` is in the message file; `field_at` is inside the field, as the editor shows it.
    if (preview.outcome === 'failed' && preview.field && preview.field_at && state.text[preview.field] !== undefined) {
      const text = state.text[preview.field];
      const start = lineColToIndex(text, preview.field_at.line, preview.field_at.col);
      (marks[preview.field] = marks[preview.field] || []).push([start, tagEnd(text, start), 'error', preview.message]);
    }
  }
  const warnings = $('warnings');
  warnings.textContent = '';
  for (const w of preview.warnings || []) {
    const li = document.createElement('li');
    li.className = 'warning';
    li.innerHTML = w.kind === 'unknown_property'
      ? `<span class="code">${escapeHtml(w.kind)}</span> <code>${escapeHtml(w.property)}</code> is not in the schema: did you mean <code>${escapeHtml(w.suggestion)}</code>?`
      : `<span class="code">undefined</span> <span class="quiet">${w.field}:${w.field_at.line}:${w.field_at.col}</span> <code>${escapeHtml(w.path)}</code> is not in this record`;
    warnings.appendChild(li);
  }
  showChecks(preview.checks);
}

function meter(label, value, limit, unit) {
  const pct = Math.min(100, (100 * value) / limit);
  return `<div class="meter"><span>${label}</span><span class="bar"><i class="${value > limit ? 'over' : ''}" style="width:${pct}%"></i></span><span>${value} / ${limit} ${unit}</span></div>`;
}

function describe(c) {
  return `'${c}' (U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
}

function showChecks(checks) {
  const box = $('checks');
  if (!checks || (!checks.push && !checks.sms)) {
    box.innerHTML = '<p class="quiet">None for this channel.</p>';
    return;
  }
  let html = '';
  if (checks.push) {
    const p = checks.push;
    html += meter('APNs payload', utf8Length(p.apns), PUSH_LIMIT, 'bytes');
    html += meter('FCM payload', utf8Length(p.fcm), PUSH_LIMIT, 'bytes');
    html += `<p class="checks-line">title ${p.title_chars} characters (iOS shows 50, Android 65), body ${p.body_chars} (iOS 150, Android 240)</p>`;
  }
  if (checks.sms) {
    const s = checks.sms;
    const forced = s.forced_by.length
      ? ` forced by ${s.forced_by.map((c) => `<span class="forced">${escapeHtml(describe(c))}</span>`).join(', ')}`
      : '';
    html += `<p class="checks-line" id="sms-encoding"><b>${s.encoding}</b>${forced}: ${s.characters} characters, ${s.units} ${s.encoding === 'GSM-7' ? 'septets' : 'code units'}, <b>${s.segments} segment${s.segments === 1 ? '' : 's'}</b></p>`;
  }
  html += '<ul class="findings">';
  for (const f of checks.findings) {
    html += `<li class="${f.severity}"><span class="code">${f.severity}[${escapeHtml(f.code)}]</span> ${escapeHtml(f.message)}</li>`;
  }
  box.innerHTML = `${html}</ul>`;
}

// At most one round of requests in flight; changes made meanwhile go in the next.
function schedule() {
  if (state.busy) {
    state.dirty = true;
    return;
  }
  state.busy = true;
  state.dirty = false;
  update().finally(() => {
    state.busy = false;
    if (state.dirty) schedule();
  });
}

async function update() {
  const { toml, starts } = compose();
  let record;
  try {
    record = JSON.parse($('record').value);
    $('record-error').hidden = true;
  } catch (e) {
    $('record-error').hidden = false;
    $('record-error').textContent = `The record is not JSON: ${e.message}`;
  }
  const began = performance.now();
  try {
    const lint = api('/v1/lint', { message: toml, name: NAME });
    const render = record === undefined ? null : api('/v1/preview', { message: toml, name: NAME, record });
    const marks = showDiagnostics(await lint, starts);
    if (render) showOutcome((await render).previews[0], marks);
    for (const field of Object.keys(state.editors)) drawMarks(field, marks[field] || []);
    $('timing').textContent = `${Math.round(performance.now() - began)} ms`;
  } catch (e) {
    $('outcome-message').hidden = false;
    $('outcome-message').textContent = String(e.message || e);
  }
}

async function loadSamples() {
  const { toml } = compose();
  const report = await api('/v1/preview', { message: toml, name: NAME });
  state.samples = report.previews.filter((p) => p.record && p.record.evtName === event());
  const select = $('sample');
  select.textContent = '';
  state.samples.forEach((s, i) => select.add(new Option(s.label.replace(`${event()}: `, ''), i)));
  showSample();
}

function showSample() {
  const sample = state.samples[$('sample').value];
  if (sample) $('record').value = JSON.stringify(sample.record, null, 2);
  schedule();
}

function showSchema() {
  $('schema-event').textContent = event();
  const body = $('schema').querySelector('tbody');
  body.textContent = '';
  for (const p of state.schema.properties.filter((p) => p.events.includes(event()))) {
    const row = body.insertRow();
    const presence = p.presence.kind === 'conditional' ? `${p.presence.when} only` : p.presence.kind;
    for (const cell of [p.name, p.data_type, presence]) row.insertCell().textContent = cell;
    row.title = p.definition;
    row.addEventListener('click', () => insert(`{{ Event["${p.name}"] }}`));
  }
}

function insert(snippet) {
  const field = state.lastFocused || channelFields()[0].name;
  const { textarea } = state.editors[field];
  const start = textarea.selectionStart;
  textarea.setRangeText(snippet, start, textarea.selectionEnd, 'end');
  textarea.focus();
  textarea.dispatchEvent(new Event('input'));
}

async function main() {
  state.schema = await api('/v1/schema');
  for (const e of state.schema.events) $('event').add(new Option(e.name, e.name));
  for (const c of state.schema.channels) $('channel').add(new Option(c.name, c.name));
  $('event').value = 'CT Coupon Rewarded';
  $('channel').value = 'push';
  buildFields();
  showSchema();
  $('event').addEventListener('change', () => { showSchema(); loadSamples(); });
  $('channel').addEventListener('change', () => { buildFields(); schedule(); });
  $('sample').addEventListener('change', showSample);
  $('resample').addEventListener('click', loadSamples);
  $('record').addEventListener('input', schedule);
  await loadSamples();
}

main().catch((e) => {
  $('outcome-message').hidden = false;
  $('outcome-message').textContent = `The playground could not start: ${e.message || e}`;
});
