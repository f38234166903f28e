// The web keyboard: suggestions on every keystroke, and this device's log of what happened.
"use strict";

const CSRF_HEADERS = { "Content-Type": "application/json", "X-Keyboard-Request": "1" };
const STRIP_ORDER = [1, 0, 2]; // Slot of the best, second and third word: best in the middle.
const PARTIAL_WORD = /[\p{L}\p{N}']+$/u;
const SENTENCE_START = /(^|[.!?]\s+)$/;
const RETRY_MS = 1000;

const message = document.getElementById("message");
const strip = document.getElementById("strip");
const slots = Array.from(strip.querySelectorAll(".suggestion"));
const shiftKey = document.querySelector('[data-action="shift"]');

let shifted = false;
let latestRequest = 0; // Sequence number of the newest suggest request.
let inFlight = null; // AbortController of the pending suggest request.
let shown = null; // {impressionId, words by slot} of the strip on screen.
const outbox = []; // Events not yet stored by the server.
let flushing = false;

function eventId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function postJson(url, body, headers = { "Content-Type": "application/json" }, signal) {
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function textBeforeCaret() {
  return message.value.slice(0, message.selectionStart);
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

function backspace() {
  const start = message.selectionStart;
  const end = message.selectionEnd;
  const from = start === end ? Math.max(0, start - 1) : start;
  insertAt(message.value.slice(0, from), message.value.slice(end), "");
}

function afterEdit() {
  setShift(SENTENCE_START.test(textBeforeCaret()));
  updateSuggestions();
}

function setShift(on) {
  shifted = on;
  shiftKey.classList.toggle("on", on);
  document.getElementById("keyboard").classList.toggle("shifted", on);
}

function send() {
  const text = message.value.trim();
  if (!text) return;
  log({ type: "message", id: eventId(), text });
  addBubble(text);
  message.value = "";
  afterEdit();
}

// --- The device's log ------------------------------------------------------------------------

function log(event) {
  outbox.push(event);
  flush();
}

// Sends queued events in order; a failed batch is retried (event ids make that idempotent).
async function flush() {
  if (flushing) return;
  flushing = true;
  while (outbox.length) {
    const batch = outbox.slice(0, 100);
    try {
      const answer = await postJson("/api/events", { events: batch }, CSRF_HEADERS);
      outbox.splice(0, batch.length);
      showStats(answer.stats);
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  flushing = false;
}

function showStats(stats) {
  document.getElementById("stat-messages").textContent = stats.messages;
  document.getElementById("stat-impressions").textContent = stats.impressions;
  document.getElementById("stat-clicks").textContent = stats.clicks;
  document.getElementById("stat-ctr").textContent =
    `${(100 * stats.click_through_rate).toFixed(1)}%`;
}

function addBubble(text) {
  const bubble = document.createElement("li");
  bubble.textContent = text;
  const thread = document.getElementById("thread");
  thread.append(bubble);
  thread.scrollTop = thread.scrollHeight;
}

function showDevice(state) {
  document.getElementById("device").value = state.device;
  document.getElementById("model-version").textContent = state.model_version;
  document.getElementById("thread").replaceChildren();
  state.messages.forEach((stored) => addBubble(stored.text));
  showStats(state.stats);
  message.value = "";
  afterEdit();
}

async function chooseDevice(device) {
  await flush(); // The pending events belong to the device they happened on.
  showDevice(await postJson("/api/device", { device }, CSRF_HEADERS));
}

// --- Wiring ----------------------------------------------------------------------------------

document.getElementById("keyboard").addEventListener("pointerdown", (event) => {
  event.preventDefault(); // Keep the focus (and the caret) in the message box.
});

document.getElementById("keyboard").addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.dataset.slot !== undefined) acceptSuggestion(Number(button.dataset.slot));
  else if (button.dataset.key !== undefined) typeKey(button.dataset.key);
  else if (button.dataset.action === "shift") setShift(!shifted);
  else if (button.dataset.action === "backspace") backspace();
  else if (button.dataset.action === "send") send();
  message.focus();
});

message.addEventListener("input", afterEdit);
message.addEventListener("click", updateSuggestions); // The caret moved.
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

fetch("/api/device").then((response) => response.json()).then(showDevice);
message.focus();
