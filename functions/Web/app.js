// The edit page: choose a photo and edits, POST /api/edits, follow GET /api/edits/{id}, show the results.
// Plain script, no build step. The function key lives in its field and in this tab's sessionStorage (so a reload can
// go on following a request) and is sent as x-functions-key. The address carries the followed request as #id=…; the
// browser's localStorage keeps a short history of requests (ids, edits, states, a small thumbnail), never the key.
// Limits, stages and options come from /app/form.json, which the server builds from the rules the API itself applies;
// the API stays the judge of every request and its refusals are shown as given.
'use strict';

const pollMilliseconds = 500;
const maxRetryMilliseconds = 8000;
const historyKey = 'pix2pix-zero.history';
const historySize = 12;
const sessionKey = 'pix2pix-zero.key';
const el = (id) => document.getElementById(id);
// How the history names a request's state.
const stateWords = { Pending: 'waiting', Running: 'running', Completed: 'done', Failed: 'failed', Cancelled: 'cancelled', Gone: 'no longer on the service' };

let form = null;         // /app/form.json
let photo = null;        // { file, url } of the chosen photo
let following = null;    // { id, stopped } of the request the progress section follows
const photos = new Map();     // request id → the photo it was made from, for this page's life
const ownSets = new Map();    // word → hash of the sentence set posted for it
const labels = new Map();     // task → "source → target"

start();

async function start() {
  el('function-key').value = sessionStorage.getItem(sessionKey) || '';
  takeKeyFromFragment();
  wirePhoto();
  el('add-edit').addEventListener('click', addOwnEdit);
  for (const id of ['source-word', 'target-word']) {
    el(id).addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();  // Enter here adds the edit; it does not send the form
      addOwnEdit();
    });
  }
  el('function-key').addEventListener('change', keyChanged);
  el('edit-form').addEventListener('submit', submit);
  el('cancel').addEventListener('click', cancel);
  el('clear-history').addEventListener('click', () => {
    localStorage.removeItem(historyKey);
    renderHistory();
  });
  window.addEventListener('hashchange', () => {
    takeKeyFromFragment();
    followFromAddress();
  });
  renderHistory();
  try {
    const response = await fetch('/app/form.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    form = await response.json();
  } catch (error) {
    showProblem({ title: 'The page could not load its options', detail: error.message });
    return;
  }
  el('photo-limits').textContent = `${form.imageFormats}, up to ${size(form.maxImageBytes)}.`;
  renderOptions();
  renderExamples();
  await loadEdits();
  followFromAddress();
}

function fragment() {
  return new URLSearchParams(location.hash.slice(1));
}

// A link may carry the key as #key=…: it goes into the field and out of the address bar and the history.
function takeKeyFromFragment() {
  const values = fragment();
  const key = values.get('key');
  if (!key) return;
  el('function-key').value = key;
  sessionStorage.setItem(sessionKey, key);
  values.delete('key');
  history.replaceState(null, '', location.pathname + location.search + (values.size ? `#${values}` : ''));
}

function keyChanged() {
  sessionStorage.setItem(sessionKey, el('function-key').value.trim());
  loadEdits();
  if (!following) followFromAddress();  // a request refused for want of a key is followed again
}

function followFromAddress() {
  const id = fragment().get('id');
  if (form && id && id !== following?.id) follow(id);
}

function api(path, init = {}) {
  const headers = new Headers(init.headers);
  const key = el('function-key').value.trim();
  if (key) headers.set('x-functions-key', key);
  return fetch(path, { ...init, headers, cache: 'no-store' });
}

// RFC 9457 problem details as the API sends them; the Functions host's own refusals (401) have no body.
async function problemOf(response) {
  if ((response.headers.get('content-type') || '').includes('json')) {
    try {
      const problem = await response.json();
      return { title: problem.title || `${response.status} ${response.statusText}`, detail: problem.detail || '', option: problem.option };
    } catch {
      // not JSON after all: fall through to the status line
    }
  }
  if (response.status === 401) {
    return { title: 'The function key was refused', detail: 'Enter the app\'s function key, or open the page with #key=… at the end of its address.' };
  }
  return { title: `The service answered ${response.status} ${response.statusText}`, detail: (await response.text()).slice(0, 500) };
}

function showProblem(problem, focus = true) {
  const box = el('problem');
  const title = document.createElement('strong');
  title.textContent = problem.title;
  box.replaceChildren(title);
  for (const line of [problem.detail, problem.option && `Option: ${problem.option}`]) {
    if (!line) continue;
    const text = document.createElement('p');
    text.textContent = line;
    box.append(text);
  }
  box.hidden = false;
  if (focus) box.focus();
}

function clearProblem() {
  el('problem').hidden = true;
  el('problem').replaceChildren();
}

function announce(text) {
  el('announce').textContent = text;
}

function sleep(milliseconds) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

// --- the photo -----------------------------------------------------------------------------------------------------

function wirePhoto() {
  const zone = el('drop-zone');
  const input = el('photo');
  input.addEventListener('change', () => input.files.length && choose(input.files[0]));
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    if (event.dataTransfer.files.length) choose(event.dataTransfer.files[0]);
  });
}

async function choose(file) {
  clearProblem();
  const refusal = await refusalOf(file);
  const preview = el('preview');
  if (refusal) {
    // Nothing of the previous photo stays: neither its preview nor what Edit would send.
    el('photo').value = '';
    photo = null;
    preview.hidden = true;
    preview.removeAttribute('src');
    preview.alt = '';
    showProblem({ title: 'This file cannot be used', detail: refusal }, false);
    return;
  }
  photo = { file, url: URL.createObjectURL(file) };
  preview.src = photo.url;
  preview.alt = `Your photo, ${file.name}`;
  preview.hidden = false;
  announce(`${file.name} chosen.`);
}

// Refused here, before any upload: a file whose first bytes are not PNG, JPEG or WebP, or one over the size limit.
async function refusalOf(file) {
  const kind = signature(new Uint8Array(await file.slice(0, 12).arrayBuffer()));
  if (!kind || !form.imageTypes.includes(kind)) {
    const declared = file.type && !form.imageTypes.includes(file.type) ? ` is ${file.type}, and` : '';
    return `"${file.name}"${declared} does not hold a ${form.imageFormats} image; choose a photo in one of those formats.`;
  }
  if (file.size > form.maxImageBytes) {
    return `"${file.name}" is ${size(file.size)}; photos of up to ${size(form.maxImageBytes)} are accepted.`;
  }
  return null;
}

function signature(bytes) {
  const ascii = (from, to) => String.fromCharCode(...bytes.slice(from, to));
  if (bytes[0] === 0x89 && ascii(1, 4) === 'PNG') return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return null;
}

function size(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

// The repository's own photos, one click from being the chosen photo.
function renderExamples() {
  const box = el('examples');
  box.replaceChildren(...form.examples.map((name) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('aria-label', `Use the example photo ${name}`);
    button.append(image(`/app/examples/${encodeURIComponent(name)}`, ''));
    button.addEventListener('click', async () => {
      try {
        const response = await fetch(`/app/examples/${encodeURIComponent(name)}`);
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        await choose(new File([await response.blob()], name, { type: 'image/png' }));
      } catch (error) {
        showProblem({ title: 'The example photo could not be loaded', detail: error.message }, false);
      }
    });
    return button;
  }));
  el('examples-box').hidden = form.examples.length === 0;
}

// A small picture of the photo for the history: it outlives the page, the photo itself does not.
async function thumbnail(url) {
  try {
    const img = image(url, '');
    await img.decode();
    const scale = 96 / Math.max(img.naturalWidth, img.naturalHeight);
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL('image/jpeg', 0.7);
  } catch {
    return null;
  }
}

// --- edits and options ---------------------------------------------------------------------------------------------

async function loadEdits() {
  const box = el('edits');
  let response;
  try {
    response = await api('/api/directions');
  } catch (error) {
    box.replaceChildren(hint(`The ready-made edits could not be loaded: ${error.message}`));
    return;
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    box.replaceChildren(hint(`The ready-made edits could not be loaded. ${problem.title}. ${problem.detail}`));
    return;
  }
  const checked = new Set(chosenTasks());
  const { edits } = await response.json();
  for (const edit of edits) labels.set(edit.task, `${edit.source} → ${edit.target}`);
  box.replaceChildren(...edits.map((edit) => choice(edit.task, labelOf(edit.task), checked.has(edit.task))));
}

// "cat2dog" reads "cat → dog"; a task is source2target, or source:target when a word holds a "2".
function labelOf(task) {
  if (labels.has(task)) return labels.get(task);
  const [source, target] = task.includes(':') ? task.split(':') : task.split('2');
  return target === undefined ? task : `${source} → ${target}`;
}

function hint(text) {
  const p = document.createElement('p');
  p.className = 'hint';
  p.textContent = text;
  return p;
}

function choice(task, text, checked) {
  const label = document.createElement('label');
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.name = 'task';
  box.value = task;
  box.checked = checked;
  label.append(box, text);
  return label;
}

function chosenTasks() {
  return [...document.querySelectorAll('input[name="task"]:checked')].map((box) => box.value);
}

// The API checks the words and the sentences; a sentence file is posted at once as the word's sentence set.
async function addOwnEdit() {
  const source = el('source-word');
  const target = el('target-word');
  const [from, to] = [source.value.trim().toLowerCase(), target.value.trim().toLowerCase()];
  if (!from || !to) {
    showProblem({ title: 'This edit cannot be added', detail: 'Give a word to edit from and a word to edit to.' }, false);
    (from ? target : source).focus();
    return;
  }
  clearProblem();
  let own = false;
  for (const [word, input] of [[from, el('source-sentences')], [to, el('target-sentences')]]) {
    if (!input.files.length) continue;
    const posted = await postSentences(word, input.files[0]);
    if (!posted) {
      input.focus();
      return;
    }
    ownSets.set(word, posted);
    input.value = '';
    own = true;
  }
  const task = from.includes('2') || to.includes('2') ? `${from}:${to}` : `${from}2${to}`;
  labels.set(task, `${from} → ${to}`);
  const existing = [...document.querySelectorAll('input[name="task"]')].find((box) => box.value === task);
  if (existing) {
    existing.checked = true;
  } else {
    el('own-edits').append(choice(task, `${from} → ${to}${own ? ' (your sentences)' : ''}`, true));
  }
  source.value = '';
  target.value = '';
  source.focus();
  announce(`Edit ${from} to ${to} added${own ? ' with your sentences' : ''}.`);
}

async function postSentences(word, file) {
  const sentences = (await file.text()).split(/\r?\n/).map((line) => line.trim()).filter((line) => line);
  try {
    const response = await api('/api/directions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ word, sentences }),
    });
    if (!response.ok) {
      const problem = await problemOf(response);
      showProblem({ ...problem, title: `The sentences in "${file.name}" were not accepted: ${problem.title}` }, false);
      return null;
    }
    return (await response.json()).sentenceSetHash;
  } catch (error) {
    showProblem({ title: 'The service could not be reached', detail: error.message }, false);
    return null;
  }
}

function renderOptions() {
  for (const field of form.options) {
    const id = `option-${field.name}`;
    const wrap = document.createElement('div');
    wrap.className = 'option';
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = field.label;
    const input = document.createElement('input');
    input.id = id;
    input.name = field.name;
    if (field.kind === 'number') {
      input.type = 'number';
      input.value = field.default;
      input.step = field.whole ? '1' : 'any';
      if (field.min !== null) input.min = field.min;
      if (field.max !== null) input.max = field.max;
    } else {
      input.type = 'text';
      if (field.maxLength) input.maxLength = field.maxLength;
    }
    const help = hint(field.help);
    help.id = `${id}-help`;
    input.setAttribute('aria-describedby', help.id);
    wrap.append(label, input, help);
    el(field.advanced ? 'advanced-options' : 'options').append(wrap);
  }
}

function optionValues() {
  const values = [];
  const problems = [];
  for (const field of form.options) {
    const input = el(`option-${field.name}`);
    const text = input.value.trim();
    const problem = input.validity.badInput ? `${field.label} is not a number.`
      : text !== '' && field.kind === 'number' && !inRange(field, Number(text)) ? `${field.label} = ${text} is not accepted. ${field.help}`
      : null;
    if (problem) {
      input.setAttribute('aria-invalid', 'true');
      problems.push({ input, text: problem });
    } else {
      input.removeAttribute('aria-invalid');
      if (text !== '') values.push([field.name, text]);  // an empty field leaves the API's default
    }
  }
  return { values, problems };
}

function inRange(field, value) {
  if (!Number.isFinite(value) || (field.whole && !Number.isInteger(value))) return false;
  if (field.min !== null && (field.minExclusive ? value <= field.min : value < field.min)) return false;
  return field.max === null || value <= field.max;
}

// --- a request -----------------------------------------------------------------------------------------------------

async function submit(event) {
  event.preventDefault();
  clearProblem();
  const tasks = chosenTasks();
  const options = optionValues();
  const problems = [
    ...(photo ? [] : [{ input: el('photo'), text: 'Choose a photo.' }]),
    ...(tasks.length ? [] : [{ input: document.querySelector('input[name="task"]') || el('source-word'), text: 'Choose at least one edit.' }]),
    ...options.problems,
  ];
  if (problems.length) {
    showProblem({ title: 'The form is not complete', detail: problems.map((p) => p.text).join(' ') }, false);
    problems[0].input.focus();
    return;
  }

  const body = new FormData();
  body.append('image', photo.file, photo.file.name);
  body.append('tasks', tasks.join(','));
  for (const [name, value] of options.values) body.append(name, value);
  const words = new Set(tasks.flatMap((task) => labelOf(task).split(' → ')));
  const sets = [...ownSets].filter(([word]) => words.has(word)).map(([word, hash]) => `${word}=${hash}`);
  if (sets.length) body.append('sets', sets.join(','));

  const input = photo;
  busy(true, 'Sending…');
  try {
    const response = await api('/api/edits', { method: 'POST', body });
    if (response.status !== 202) {
      busy(false);
      showProblem(await problemOf(response));
      return;
    }
    const { id } = await response.json();
    photos.set(id, input);
    remember({ id, name: input.file.name, tasks: tasks.map(labelOf), state: 'Pending', at: new Date().toISOString(), thumb: await thumbnail(input.url) });
    follow(id, true);
  } catch (error) {
    busy(false);
    showProblem({ title: 'The service could not be reached', detail: error.message });
  }
}

// The submit button says what is happening while a request is sent or followed.
function busy(on, text = 'Editing…') {
  const button = el('submit');
  button.disabled = on;
  button.textContent = on ? text : 'Edit the photo';
  el('edit-form').setAttribute('aria-busy', String(on));
}

// Follows one request to its end. Network errors and 5xx answers are retried with a growing wait while the page says
// it is reconnecting; only an end (completed, failed, cancelled, or no such request) or a refusal stops it.
async function follow(id, justSubmitted = false) {
  if (following) following.stopped = true;
  const run = { id, stopped: false };
  following = run;
  history.replaceState(null, '', `${location.pathname}${location.search}#id=${encodeURIComponent(id)}`);
  clearProblem();
  const bars = renderStages();
  const clock = { stage: null, fraction: 0, first: null };
  el('request-line').replaceChildren('Request ', code(id), ' · this page\'s address follows it after a reload or later.');
  el('status-line').textContent = 'Waiting for the first status…';
  el('overall-bar').value = 0;
  el('cancel').hidden = false;
  el('cancel').disabled = false;
  el('cancel').textContent = 'Cancel this edit';
  el('progress').hidden = false;
  busy(true);
  if (justSubmitted) announce('The edit has started.');
  el('progress').scrollIntoView({ block: 'start' });
  el('progress-heading').focus({ preventScroll: true });

  let failures = 0;
  let last = null;
  while (!run.stopped) {
    let response = null;
    let status = null;
    let trouble = null;
    try {
      response = await api(`/api/edits/${encodeURIComponent(id)}`);
      if (response.status >= 500) trouble = `the service answered ${response.status} ${response.statusText}`;
      else if (response.ok) status = await response.json();
    } catch (error) {
      trouble = error.message;
    }
    if (run.stopped) return;
    if (trouble) {
      failures++;
      const wait = Math.min(pollMilliseconds * 2 ** failures, maxRetryMilliseconds);
      showReconnecting(bars, last, trouble, wait);
      await sleep(wait);
      continue;
    }
    if (!response.ok) {
      const problem = await problemOf(response);
      if (response.status === 404) remember({ id, state: 'Gone' });
      end(run);
      el('cancel').hidden = true;
      el('status-line').textContent = response.status === 404 ? 'This request is not known to the service.' : 'Stopped following this request.';
      showProblem(problem);
      return;
    }
    failures = 0;
    last = status;
    showStatus(status, bars, clock);
    remember({ id, state: status.status });
    if (status.status === 'Completed') {
      end(run);
      await showResults(id, status);
      return;
    }
    if (status.status === 'Failed' || status.status === form.cancelledStatus) {
      end(run);
      if (status.status === 'Failed') showFailure(status);
      else showCancelled(status);
      return;
    }
    await sleep(pollMilliseconds);
  }
}

function end(run) {
  if (following === run) following = null;
  run.stopped = true;
  el('cancel').hidden = true;
  busy(false);
}

function code(text) {
  const item = document.createElement('code');
  item.textContent = text;
  return item;
}

async function cancel() {
  const run = following;
  if (!run) return;
  const button = el('cancel');
  button.disabled = true;
  button.textContent = 'Cancelling…';
  try {
    const response = await api(`/api/edits/${encodeURIComponent(run.id)}/cancel`, { method: 'POST' });
    if (response.status !== 202) showProblem(await problemOf(response), false);
    else announce('Cancelling the edit.');
  } catch (error) {
    button.disabled = false;
    button.textContent = 'Cancel this edit';
    showProblem({ title: 'The cancel did not reach the service', detail: `${error.message}. Try again.` }, false);
  }
}

function renderStages() {
  const bars = form.stages.map((stage, i) => {
    const item = document.createElement('li');
    const row = document.createElement('div');
    row.className = 'bar';
    const label = document.createElement('label');
    label.htmlFor = `stage-${i}`;
    label.textContent = stage.label[0].toUpperCase() + stage.label.slice(1);
    const progress = document.createElement('progress');
    progress.id = `stage-${i}`;
    progress.max = 1;
    progress.value = 0;
    const steps = document.createElement('span');
    row.append(label, progress, steps);
    item.append(row);
    return { item, progress, steps };
  });
  el('stages').replaceChildren(...bars.map((bar) => bar.item));
  return bars;
}

function stageIndex(status) {
  const stage = (status.error && status.error.stage) || (status.stage || '').replace(/^failed in /, '');
  return Math.max(0, form.stages.findIndex(({ name }) => name === stage));
}

// A stage as people read it: the label form.json gives for the name the API uses.
function stageLabel(name) {
  const stage = form.stages.find((s) => s.name === name);
  return stage ? stage.label : name;
}

// One bar per stage: stages before the current one are full; the current one shows its step progress when its
// activity reports steps (inversion, edit) and never goes back (the last step is followed by a decode without steps);
// the overall bar adds the current stage's fraction to the stages done.
function showStatus(status, bars, clock) {
  const stages = form.stages;
  const done = status.status === 'Completed';
  const ended = status.status === 'Failed' ? 'failed' : status.status === form.cancelledStatus ? 'cancelled' : null;
  const at = done ? stages.length : stageIndex(status);
  const now = performance.now();
  const current = done ? null : stages[at];
  if (clock.stage !== current) {
    Object.assign(clock, { stage: current, fraction: 0, first: null });
    if (!done && !ended) announce(`Now: ${current.label}.`);
  }
  const progress = status.progress;
  const step = !done && progress && progress.stage === current.name && progress.total > 0 ? progress : null;
  if (step) clock.fraction = Math.max(clock.fraction, Math.min(step.step / step.total, 1));

  bars.forEach((bar, i) => {
    bar.progress.value = i < at ? 1 : i === at ? clock.fraction : 0;
    bar.item.classList.toggle('current', i === at);
    bar.steps.classList.remove('reconnecting');
    bar.steps.textContent = i < at ? 'done' : i > at ? '' : ended || (step ? `step ${step.step} of ${step.total}` : 'running');
  });
  el('overall-bar').value = done ? 1 : (at + clock.fraction) / stages.length;

  // The estimate: the time per step measured since the first step seen in this stage.
  let estimate = '';
  if (step && step.step > 0) {
    if (!clock.first || step.step < clock.first.step) {
      clock.first = { step: step.step, at: now };
    } else if (step.step > clock.first.step) {
      const perStep = (now - clock.first.at) / (step.step - clock.first.step);
      estimate = ` · about ${duration(perStep * (step.total - step.step))} left in this stage`;
    }
  }
  const elapsed = Date.parse(done || ended ? status.lastUpdatedAt : new Date().toISOString()) - Date.parse(status.createdAt);
  el('status-line').textContent = done ? `Done in ${duration(elapsed)}.`
    : ended ? `${status.status} in the stage "${current.label}" after ${duration(elapsed)}.`
    : `${status.status}: ${current.label}${step ? `, step ${step.step} of ${step.total}` : ''} · ${duration(elapsed)} elapsed${estimate}`;
}

// The request goes on on the server; only its status could not be read. Nothing says "running" meanwhile.
function showReconnecting(bars, last, trouble, wait) {
  const at = last ? stageIndex(last) : 0;
  bars.forEach((bar, i) => {
    if (i !== at) return;
    bar.steps.textContent = 'reconnecting…';
    bar.steps.classList.add('reconnecting');
  });
  const line = el('status-line');
  line.textContent = `Reconnecting… the last status check failed (${trouble}); trying again in ${duration(wait)}. `
    + 'The edit goes on on the server.';
  announce('Reconnecting to the service.');
}

function duration(milliseconds) {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

// The stage and message of the request's error.json, as the status endpoint returns it.
function showFailure(status) {
  const error = status.error;
  const stage = stageLabel(error ? error.stage : (status.stage || '').replace(/^failed in /, ''));
  showProblem({
    title: `The edit failed in the stage "${stage}"`,
    detail: error ? error.message : `The request ended ${status.status} without an error record.`,
    option: null,
  });
  announce(`The edit failed in ${stage}.`);
}

function showCancelled(status) {
  el('status-line').textContent = `Cancelled in the stage "${form.stages[stageIndex(status)].label}": nothing was published.`;
  announce('The edit was cancelled.');
  el('progress-heading').focus();
}

async function showResults(id, status) {
  const list = el('result-list');
  const input = photos.get(id);
  const cards = [];
  for (const result of status.results) {
    const response = await api(`/api/edits/${encodeURIComponent(id)}/results/${encodeURIComponent(result.task)}`);
    if (!response.ok) {
      showProblem(await problemOf(response));
      continue;
    }
    cards.push(resultCard(id, result.task, URL.createObjectURL(await response.blob()), input, status.caption));
  }
  // The newest request's results come first; those of earlier ones stay below them.
  for (const old of list.querySelectorAll(`[data-request="${CSS.escape(id)}"]`)) old.remove();
  list.prepend(...cards);
  el('results').hidden = false;
  announce('The edit is done: the results are below the progress.');
  el('results').scrollIntoView({ block: 'start' });
  el('results-heading').focus({ preventScroll: true });
}

function resultCard(id, task, url, input, caption) {
  const label = labelOf(task);
  const card = document.createElement('article');
  card.className = 'result';
  card.dataset.request = id;
  const heading = document.createElement('h3');
  heading.textContent = label;
  card.append(heading);
  if (caption) {
    const text = document.createElement('p');
    text.className = 'caption';
    text.textContent = `Caption: "${caption}"`;
    card.append(text);
  }

  if (input) {
    const sideBySide = document.createElement('div');
    sideBySide.className = 'side-by-side';
    sideBySide.append(figure(input.url, `Your photo, ${input.file.name}`, 'Before'), figure(url, `The result of ${label}`, 'After'));

    // The result drawn over the photo, cut at the slider: photo to the left of it, result to the right.
    const compare = document.createElement('div');
    compare.className = 'compare';
    const after = image(url, '');
    after.className = 'after';
    compare.append(image(input.url, ''), after);
    const sliderLabel = document.createElement('label');
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.min = 0;
    slider.max = 100;
    slider.value = 50;
    slider.addEventListener('input', () => {
      compare.style.setProperty('--split', `${slider.value}%`);
      slider.setAttribute('aria-valuetext', `${slider.value}% photo, ${100 - slider.value}% result`);
    });
    sliderLabel.append(`Compare ${label} with your photo`, slider);
    card.append(sideBySide, compare, sliderLabel);
  } else {
    card.append(figure(url, `The result of ${label}`, `Request ${id}`));
  }

  const download = document.createElement('a');
  download.href = url;
  const base = input ? input.file.name.replace(/\.[^.]*$/, '') : id;
  download.download = `${base}.${task.replace(':', '2')}.png`;
  download.textContent = `Download ${download.download}`;
  card.append(download);
  return card;
}

function figure(url, alt, caption) {
  const item = document.createElement('figure');
  const text = document.createElement('figcaption');
  text.textContent = caption;
  item.append(image(url, alt), text);
  return item;
}

function image(url, alt) {
  const img = document.createElement('img');
  img.src = url;
  img.alt = alt;
  return img;
}

// --- history -------------------------------------------------------------------------------------------------------

function readHistory() {
  try {
    const entries = JSON.parse(localStorage.getItem(historyKey) || '[]');
    return Array.isArray(entries) ? entries : [];
  } catch {
    return [];
  }
}

// Adds a request or updates what is known of it; the newest come first and the oldest beyond the limit are dropped.
function remember(update) {
  const entries = readHistory();
  const found = entries.find((entry) => entry.id === update.id);
  if (found && found.state === update.state) return;
  if (found) Object.assign(found, update);
  else if (update.name) entries.unshift(update);
  else return;  // a request opened by its address that this browser never sent: nothing to show for it
  try {
    localStorage.setItem(historyKey, JSON.stringify(entries.slice(0, historySize)));
  } catch {
    // storage full or off: the page works without its history
  }
  renderHistory();
}

function renderHistory() {
  const entries = readHistory();
  el('history').hidden = entries.length === 0;
  el('history-list').replaceChildren(...entries.map((entry) => {
    const item = document.createElement('li');
    if (entry.thumb) item.append(image(entry.thumb, ''));
    const text = document.createElement('span');
    const when = new Date(entry.at).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
    text.textContent = `${entry.name}: ${entry.tasks.join(', ')} · ${stateWords[entry.state] || entry.state} · ${when}`;
    const link = document.createElement('a');
    link.href = `#id=${encodeURIComponent(entry.id)}`;
    link.textContent = entry.state === 'Completed' ? 'Show the results' : 'Open';
    link.setAttribute('aria-label', `${link.textContent}: ${entry.name}, ${entry.tasks.join(', ')}`);
    item.append(text, link);
    return item;
  }));
}
