// The outbox: every event the page logs waits here, kept per device in localStorage, until the
// server has stored it. Shares the page's globals (keyboard.js): device, outbox, refused,
// flushing, panelShown, CSRF_HEADERS, postJson, showStats; and refreshPersonal (personal.js).

const MAX_BATCH = 100; // Events per request: the API's MAX_EVENTS.
const RETRY_FIRST_MS = 500; // After a 5xx or a network failure; doubled up to RETRY_MAX_MS.
const RETRY_MAX_MS = 8000;

function storageKey(kind, owner = device) {
  return `keyboard.${kind}.${owner}`;
}

function loadEvents(kind) {
  try {
    return JSON.parse(localStorage.getItem(storageKey(kind))) || [];
  } catch (error) {
    return [];
  }
}

function saveEvents(kind, events) {
  try {
    localStorage.setItem(storageKey(kind), JSON.stringify(events));
  } catch (error) {
    // Storage full or disabled: the events stay queued in memory.
  }
}

function log(event) {
  outbox.push(event);
  saveEvents("outbox", outbox);
  flush();
}

// Sends the outbox in order, whoever calls, once the first panel is shown; resolves once it is
// empty.
function flush() {
  if (!flushing) flushing = panelShown.then(sendOutbox).finally(() => { flushing = null; });
  return flushing;
}

// A batch the server refuses (4xx) is resent one event at a time, so the good events are
// stored and each refused one is set aside with a notice; 5xx answers and network failures
// are retried with growing pauses, keeping the order.
async function sendOutbox() {
  let delay = RETRY_FIRST_MS;
  let singles = 0; // Events to send one at a time, after a refused batch.
  while (outbox.length) {
    const batch = outbox.slice(0, singles > 0 ? 1 : MAX_BATCH);
    let response = null;
    try {
      response = await fetch("/api/events", {
        method: "POST", headers: CSRF_HEADERS, body: JSON.stringify({ device, events: batch }) });
    } catch (error) {
      // No answer: retried below.
    }
    if (response !== null && response.status === 409) {
      // Another tab switched this browser's device: take ours back, then resend.
      const picked = await postJson("/api/device", { device }, CSRF_HEADERS)
        .then(() => true, () => false);
      if (picked) continue;
      response = null; // Retried below, after a pause.
    }
    const refusedBatch = response !== null && response.status >= 400 && response.status < 500;
    if (refusedBatch && batch.length > 1) {
      singles = batch.length;
      continue;
    }
    if (refusedBatch || (response && response.ok)) {
      outbox.splice(0, batch.length);
      saveEvents("outbox", outbox);
      singles = Math.max(0, singles - 1);
      delay = RETRY_FIRST_MS;
      showPending("");
      if (refusedBatch) setAside(batch[0], await errorOf(response));
      else stored(batch, await response.json().catch(() => null));
      continue;
    }
    showPending(`${outbox.length} not sent yet (${response ? `server error ${response.status}`
      : "no connection"}); retrying`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(2 * delay, RETRY_MAX_MS);
  }
}

function stored(batch, answer) {
  const messages = batch.filter((event) => event.type === "message");
  messages.forEach((event) => {
    const bubble = document.querySelector(`#thread li[data-event-id="${event.id}"]`);
    if (bubble) bubble.classList.remove("pending");
  });
  if (answer) showStats(answer.stats);
  if (messages.length) refreshPersonal(); // New own words; maybe enough to personalize.
}

async function errorOf(response) {
  try {
    return (await response.json()).error;
  } catch (error) {
    return `status ${response.status}`;
  }
}

function setAside(event, reason) {
  refused.push({ event, reason });
  saveEvents("refused", refused);
  showRefused();
}

function showPending(status) {
  document.getElementById("pending").textContent = status;
}

// The refused messages' texts stay on screen, to copy, until dismissed.
function showRefused() {
  const notice = document.getElementById("notice");
  notice.hidden = refused.length === 0;
  const texts = refused.filter((item) => item.event.type === "message")
    .map((item) => `“${item.event.text}” (${item.reason})`);
  document.getElementById("notice-text").textContent =
    `The server refused ${refused.length} event${refused.length === 1 ? "" : "s"}`
    + (texts.length ? `, set aside here: ${texts.join("; ")}` : ": set aside.");
}

function dismissRefused() {
  refused = [];
  saveEvents("refused", refused);
  showRefused();
}

