// The web keyboard: suggestions on every keystroke, and this device's log of what happened.
"use strict";

const CSRF_HEADERS = { "Content-Type": "application/json", "X-Keyboard-Request": "1" };
const STRIP_ORDER = [1, 0, 2]; // Slot of the best, second and third word: best in the middle.
const PARTIAL_WORD = /[\p{L}\p{N}']+$/u;
const SENTENCE_START = /(^|[.!?]\s+)$/;
const GRAPHEMES = typeof Intl !== "undefined" && Intl.Segmenter
  ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

const message = document.getElementById("message");
const strip = document.getElementById("strip");
const slots = Array.from(strip.querySelectorAll(".suggestion"));
const shiftKey = document.querySelector('[data-action="shift"]');

let shifted = false;
let latestRequest = 0; // Sequence number of the newest suggest request.
let inFlight = null; // AbortController of the pending suggest request.
let shown = null; // {impressionId, words by slot} of the strip on screen.
// The device this page shows (its cookie is set): events are queued and kept per device.
let device = document.body.dataset.device;
let outbox = loadEvents("outbox"); // Not yet stored by the server, oldest first.
let refused = loadEvents("refused"); // Refused by the server (4xx): set aside, shown.
let flushing = null; // The running flush, if any.
// The outbox waits for the first panel: a panel answered before an event was stored, shown
// after it, would overwrite the event's counts and drop its bubble from the thread.
let announcePanel;
const panelShown = new Promise((resolve) => { announcePanel = resolve; });

function eventId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A lone surrogate (half an emoji) cannot be stored: the server refuses it; replace it.
function wellFormed(text) {
  return text.toWellFormed ? text.toWellFormed() : text;
}

async function postJson(url, body, headers = { "Content-Type": "application/json" }, signal) {
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function textBeforeCaret() {
  return wellFormed(message.value.slice(0, message.selectionStart));
}

// --- Suggestions ---------------------------------------------------------------------------

async function updateSuggestions() {
  const sequence = ++latestRequest;
  if (inFlight) inFlight.abort(); // The older answer is stale: do not wait for it.
  inFlight = new AbortController();
  const text = textBeforeCaret();
  let answer;
  try {
    answer = await postJson("/api/suggest", { text }, undefined, inFlight.signal);
  } catch (error) {
    if (error.name !== "AbortError" && sequence === latestRequest) showStrip([], text);
    return;
  }
  if (sequence !== latestRequest) return; // A newer keystroke already asked again.
  document.getElementById("model-version").textContent = answer.model_version;
  showStrip(answer.suggestions, text, answer.model_version);
}

function showStrip(words, text, modelVersion) {
  const bySlot = ["", "", ""];
  words.slice(0, 3).forEach((word, rank) => { bySlot[STRIP_ORDER[rank]] = casedLike(word, text); });
  slots.forEach((button, slot) => {
    button.textContent = bySlot[slot];
    button.disabled = !bySlot[slot];
  });
  shown = null;
  if (words.length === 0) return;
  shown = { impressionId: eventId(), words: bySlot };
  log({ type: "impression", id: shown.impressionId, model_version: modelVersion,
        position: text.length, suggestions: words.slice(0, 3) });
}

// The model suggests lower-case words; the keyboard re-cases them like the typed word.
function casedLike(word, text) {
  const partial = (text.match(PARTIAL_WORD) || [""])[0];
  const capital = partial ? partial[0] !== partial[0].toLowerCase() : SENTENCE_START.test(text);
  return capital ? word[0].toUpperCase() + word.slice(1) : word;
}

function acceptSuggestion(slot) {
  if (!shown || !shown.words[slot]) return;
  const word = shown.words[slot];
  log({ type: "click", id: eventId(), impression_id: shown.impressionId, slot, word });
  const before = textBeforeCaret().replace(PARTIAL_WORD, "");
  insertAt(before, message.value.slice(message.selectionStart), `${word} `);
}

// --- Typing ----------------------------------------------------------------------------------

function insertAt(before, after, inserted) {
  message.value = before + inserted + after;
  const caret = before.length + inserted.length;
  message.setSelectionRange(caret, caret);
  afterEdit();
}

function typeKey(key) {
  const start = message.selectionStart;
  const end = message.selectionEnd;
  const character = shifted ? key.toUpperCase() : key;
  insertAt(message.value.slice(0, start), message.value.slice(end), character);
}

// Where the character a backspace at `index` deletes starts: a whole grapheme cluster (an
// emoji with its modifiers, a letter with its accents), else at least a whole code point.
function characterStart(text, index) {
  if (index === 0) return 0;
  if (GRAPHEMES) return GRAPHEMES.segment(text).containing(index - 1).index;
  const low = text.charCodeAt(index - 1);
  const high = index > 1 ? text.charCodeAt(index - 2) : 0;
  const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
  return index - (pair ? 2 : 1);
}

function backspace() {
  const start = message.selectionStart;
  const end = message.selectionEnd;
  const from = start === end ? characterStart(message.value, start) : start;
  insertAt(message.value.slice(0, from), message.value.slice(end), "");
}

function afterEdit() {
  setShift(SENTENCE_START.test(textBeforeCaret()));
  updateSuggestions();
  updateChip();
}

function setShift(on) {
  shifted = on;
  shiftKey.classList.toggle("on", on);
  document.getElementById("keyboard").classList.toggle("shifted", on);
}

function send() {
  const text = wellFormed(message.value).trim();
  if (!text) return;
  const id = eventId();
  log({ type: "message", id, text });
  addBubble(text, id);
  message.value = "";
  afterEdit();
}

// --- The device's log ------------------------------------------------------------------------
// Every event goes to the outbox (outbox.js), kept in localStorage per device until the server
// stored it: a reload or a server restart loses nothing, and client-made ids make resending
// safe. Each batch names its device; a browser switched to another device in another tab
// gets a 409, and the page takes its device back before resending.

function showStats(stats) {
  document.getElementById("stat-messages").textContent = stats.messages;
  document.getElementById("stat-impressions").textContent = stats.impressions;
  document.getElementById("stat-clicks").textContent = stats.clicks;
  document.getElementById("stat-ctr").textContent =
    `${(100 * stats.click_through_rate).toFixed(1)}%`;
  document.getElementById("stat-query-impressions").textContent = stats.query_impressions;
  document.getElementById("stat-query-clicks").textContent = stats.query_clicks;
  document.getElementById("stat-query-ctr").textContent =
    `${(100 * stats.query_click_through_rate).toFixed(1)}%`;
}

// A bubble of a message still queued (`eventId` given) looks pending until it is stored; a
// "searched" bubble is a query chip tapped (a search, not a message).
function addBubble(text, eventId, kind) {
  const bubble = document.createElement("li");
  bubble.textContent = text;
  if (kind) bubble.classList.add(kind);
  if (eventId) {
    bubble.dataset.eventId = eventId;
    bubble.classList.add("pending");
  }
  const thread = document.getElementById("thread");
  thread.append(bubble);
  thread.scrollTop = thread.scrollHeight;
}

// The device's panel and thread (stored messages, then the ones still queued); the message
// being typed is left alone.
function showPanel(state) {
  document.getElementById("device").value = state.device;
  document.getElementById("model-version").textContent = state.model_version;
  document.getElementById("thread").replaceChildren();
  state.messages.forEach((stored) => addBubble(stored.text));
  outbox.filter((event) => event.type === "message")
    .forEach((event) => addBubble(event.text, event.id));
  showStats(state.stats);
  showPersonal(state.personal, state.model_version);
  showRefused();
}

async function chooseDevice(chosen) {
  await flush(); // The queued events belong to the device they happened on.
  let state;
  try {
    state = await postJson("/api/device", { device: chosen }, CSRF_HEADERS);
  } catch (error) {
    document.getElementById("device").value = device;
    return;
  }
  device = state.device;
  resetPersonal();
  outbox = loadEvents("outbox");
  refused = loadEvents("refused");
  showPanel(state);
  message.value = "";
  afterEdit();
  flush();
}

// --- Wiring ----------------------------------------------------------------------------------

document.getElementById("keyboard").addEventListener("pointerdown", (event) => {
  event.preventDefault(); // Keep the focus (and the caret) in the message box.
});

document.getElementById("keyboard").addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.dataset.slot !== undefined) acceptSuggestion(Number(button.dataset.slot));
  else if (button.id === "query-chip") tapChip();
  else if (button.dataset.key !== undefined) typeKey(button.dataset.key);
  else if (button.dataset.action === "shift") setShift(!shifted);
  else if (button.dataset.action === "backspace") backspace();
  else if (button.dataset.action === "send") send();
  message.focus();
});

message.addEventListener("input", afterEdit);
message.addEventListener("click", () => { updateSuggestions(); updateChip(); }); // Caret moved.
message.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    send();
  }
});
document.getElementById("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
document.getElementById("device").addEventListener("change", (event) => {
  chooseDevice(event.target.value);
});
document.getElementById("notice-dismiss").addEventListener("click", dismissRefused);
document.getElementById("personalize").addEventListener("click", personalize);

// Keys typed before the panel arrives stay in the message box; events queued from an earlier
// visit or logged meanwhile are sent once the panel has shown them (`panelShown`).
fetch("/api/device").then((response) => response.json()).then(showPanel)
  .catch(() => showRefused()).finally(() => { announcePanel(); flush(); });
message.focus();
afterEdit();
