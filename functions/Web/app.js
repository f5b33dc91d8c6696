// The edit page: choose a photo and edits, POST /api/edits, follow GET /api/edits/{id}, show the results.
// Plain script, no build step. The function key lives only in its field and is sent as x-functions-key; nothing is
// stored (no cookies, no local storage). Limits, stages and options come from app/form.json, which the server builds
// from the rules the API itself applies; the API stays the judge of every request and its refusals are shown as given.
'use strict';

const pollMilliseconds = 500;
const el = (id) => document.getElementById(id);

let form = null;     // app/form.json
let photo = null;    // { file, url } of the chosen photo

start();

async function start() {
  takeKeyFromFragment();
  wirePhoto();
  el('add-edit').addEventListener('click', addOwnEdit);
  el('function-key').addEventListener('change', loadEdits);
  el('edit-form').addEventListener('submit', submit);
  try {
    const response = await fetch('app/form.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    form = await response.json();
  } catch (error) {
    showProblem({ title: 'The page could not load its options', detail: error.message });
    return;
  }
  el('photo-limits').textContent = `${form.imageFormats}, up to ${size(form.maxImageBytes)}.`;
  renderOptions();
  await loadEdits();
}

// A link may carry the key as #key=…: it goes into the field and out of the address bar and the history.
function takeKeyFromFragment() {
  const key = new URLSearchParams(location.hash.slice(1)).get('key');
  if (!key) return;
  el('function-key').value = key;
  history.replaceState(null, '', location.pathname + location.search);
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
  if (refusal) {
    el('photo').value = '';
    showProblem({ title: 'This file cannot be used', detail: refusal }, false);
    return;
  }
  photo = { file, url: URL.createObjectURL(file) };
  const preview = el('preview');
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

// --- edits and options ---------------------------------------------------------------------------------------------

async function loadEdits() {
  const box = el('edits');
  let response;
  try {
    response = await api('api/directions');
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
  box.replaceChildren(...edits.map((edit) => choice(edit.task, `${edit.source} → ${edit.target}`, checked.has(edit.task))));
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

// The API checks the words; a task is source2target, or source:target when a word holds a "2".
function addOwnEdit() {
  const source = el('source-word');
  const target = el('target-word');
  const [from, to] = [source.value.trim().toLowerCase(), target.value.trim().toLowerCase()];
  if (!from || !to) {
    showProblem({ title: 'This edit cannot be added', detail: 'Give a word to edit from and a word to edit to.' }, false);
    (from ? target : source).focus();
    return;
  }
  clearProblem();
  const task = from.includes('2') || to.includes('2') ? `${from}:${to}` : `${from}2${to}`;
  if (![...document.querySelectorAll('input[name="task"]')].some((box) => box.value === task)) {
    el('own-edits').append(choice(task, `${from} → ${to}`, true));
  }
  source.value = '';
  target.value = '';
  announce(`Edit ${from} to ${to} added.`);
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
      : text !== '' && field.kind === 'number' && !inRange(field, Number(text)) ? `${field.label} = ${text} is not accepted: ${field.help}.`
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

  const button = el('submit');
  button.disabled = true;
  try {
    const response = await api('api/edits', { method: 'POST', body });
    if (response.status !== 202) {
      showProblem(await problemOf(response));
      return;
    }
    const accepted = await response.json();
    await follow(accepted.id, photo);
  } catch (error) {
    showProblem({ title: 'The service could not be reached', detail: error.message });
  } finally {
    button.disabled = false;
  }
}

async function follow(id, input) {
  const started = performance.now();
  const bars = renderStages();
  const clock = { stage: null, fraction: 0, first: null };
  el('results').hidden = true;
  el('result-list').replaceChildren();
  el('progress').hidden = false;
  announce('The edit has started.');
  for (;;) {
    const response = await api(`api/edits/${encodeURIComponent(id)}`);
    if (!response.ok) {
      showProblem(await problemOf(response));
      return;
    }
    const status = await response.json();
    showStatus(status, bars, started, clock);
    if (status.status === 'Completed') {
      await showResults(id, status.results, input);
      return;
    }
    if (status.status === 'Failed' || status.status === 'Terminated') {
      showFailure(status);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMilliseconds));
  }
}

function renderStages() {
  const bars = form.stages.map((name, i) => {
    const item = document.createElement('li');
    const row = document.createElement('div');
    row.className = 'bar';
    const label = document.createElement('label');
    label.htmlFor = `stage-${i}`;
    label.textContent = name[0].toUpperCase() + name.slice(1);
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

// One bar per stage: stages before the current one are full; the current one shows its step progress when its
// activity reports steps (inversion, edit) and never goes back (the last step is followed by a decode without steps);
// the overall bar adds the current stage's fraction to the stages done.
function showStatus(status, bars, started, clock) {
  const stages = form.stages;
  const done = status.status === 'Completed';
  const ended = status.status === 'Failed' || status.status === 'Terminated';
  const at = done ? stages.length : Math.max(0, stages.indexOf((status.stage || '').replace(/^failed in /, '')));
  const now = performance.now();
  if (clock.stage !== stages[at]) {
    Object.assign(clock, { stage: stages[at], fraction: 0, first: null });
    if (!done) announce(`Now: ${stages[at]}.`);
  }
  const progress = status.progress;
  const step = !done && progress && progress.stage === stages[at] && progress.total > 0 ? progress : null;
  if (step) clock.fraction = Math.max(clock.fraction, Math.min(step.step / step.total, 1));

  bars.forEach((bar, i) => {
    bar.progress.value = i < at ? 1 : i === at ? clock.fraction : 0;
    bar.item.classList.toggle('current', i === at);
    bar.steps.textContent = i < at ? 'done' : i > at ? '' : ended ? 'failed' : step ? `step ${step.step} of ${step.total}` : 'running';
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
  el('status-line').textContent = done
    ? `Done in ${duration(now - started)}.`
    : `${status.status}: ${stages[at]}${step ? `, step ${step.step} of ${step.total}` : ''} · ${duration(now - started)} elapsed${estimate}`;
}

function duration(milliseconds) {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

// The stage and message of the request's error.json, as the status endpoint returns it.
function showFailure(status) {
  const error = status.error;
  const stage = error ? error.stage : (status.stage || '').replace(/^failed in /, '');
  showProblem({
    title: `The edit failed in the stage "${stage}"`,
    detail: error ? error.message : `The request ended ${status.status} without an error record.`,
    option: null,
  });
  announce(`The edit failed in ${stage}.`);
}

async function showResults(id, results, input) {
  const list = el('result-list');
  for (const result of results) {
    const response = await api(`api/edits/${encodeURIComponent(id)}/results/${encodeURIComponent(result.task)}`);
    if (!response.ok) {
      showProblem(await problemOf(response));
      continue;
    }
    list.append(resultCard(result.task, URL.createObjectURL(await response.blob()), input));
  }
  el('results').hidden = false;
  announce('The edit is done: the results are below the progress.');
}

function resultCard(task, url, input) {
  const card = document.createElement('article');
  card.className = 'result';
  const heading = document.createElement('h3');
  heading.textContent = task;

  const sideBySide = document.createElement('div');
  sideBySide.className = 'side-by-side';
  sideBySide.append(figure(input.url, `Your photo, ${input.file.name}`, 'Before'), figure(url, `The result of ${task}`, 'After'));

  // The result drawn over the photo, cut at the slider: photo to the left of it, result to the right.
  const compare = document.createElement('div');
  compare.className = 'compare';
  const before = image(input.url, '');
  const after = image(url, '');
  after.className = 'after';
  compare.append(before, after);
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
  sliderLabel.append(`Compare ${task} with your photo`, slider);

  const download = document.createElement('a');
  download.href = url;
  download.download = `${input.file.name.replace(/\.[^.]*$/, '')}.${task}.png`;
  download.textContent = `Download ${download.download}`;

  card.append(heading, sideBySide, compare, sliderLabel, download);
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
