// Query chips, loaded before keyboard.js, whose helpers (postJson, eventId, log, addBubble,
// textBeforeCaret) they call once the page runs.
"use strict";

let latestChipRequest = 0; // Sequence number of the newest query-chip request.
let chip = null; // {impressionId, query} of the query chip on screen.

// A chip is logged as a query impression when it appears; tapping it logs a query click of that
// impression. A chip replaced, hidden or left on screen when the message is sent is never
// clicked: the trainer reads it as a 0.

async function updateChip() {
  const sequence = ++latestChipRequest;
  let answer;
  try {
    answer = await postJson("/api/queries", {
      text: textBeforeCaret(), utc_offset_minutes: -new Date().getTimezoneOffset() });
  } catch (error) {
    answer = { query: null };
  }
  if (sequence !== latestChipRequest) return; // A newer keystroke already asked again.
  showChip(answer.query);
}

function showChip(proposed) {
  if (proposed && chip && chip.query === proposed.query) return; // The same chip stays.
  const button = document.getElementById("query-chip");
  chip = null;
  button.hidden = !proposed;
  if (!proposed) return;
  chip = { impressionId: eventId(), query: proposed.query };
  button.querySelector(".query-text").textContent = proposed.query;
  log({ type: "query_impression", id: chip.impressionId, model_version: proposed.model_version,
        context: proposed.context, candidate: proposed.query, position: proposed.position,
        baseline_score: proposed.baseline_score,
        utc_offset_minutes: -new Date().getTimezoneOffset() });
}

function tapChip() {
  if (!chip) return;
  log({ type: "query_click", id: eventId(), impression_id: chip.impressionId });
  addBubble(chip.query, undefined, "searched");
  chip = null;
  document.getElementById("query-chip").hidden = true;
}
