// The panel's personal model: which model this device is on, both models' top-1 recall on its
// newest messages, its own words, the Personalize button and what went wrong. Shares the
// page's globals (keyboard.js): device, CSRF_HEADERS, updateSuggestions.

const PERSONAL_POLL_MS = 1000; // While a job is queued or running.
let personalPoll = null;
let personalServing = null; // The model this device was last shown on: "personal" | "global".

function percent(value) {
  return `${(100 * value).toFixed(1)}%`;
}

function showPersonal(personal, modelVersion) {
  const section = document.getElementById("personal");
  section.hidden = !personal;
  if (!personal) return;
  document.getElementById("model-version").textContent = modelVersion;
  const onPersonal = personal.serving === "personal";
  section.dataset.serving = personal.serving;
  document.getElementById("personal-serving").textContent = onPersonal
    ? `Personal model, fine-tuned from ${personal.built_from} on ${personal.trained_messages} `
      + `of this device's messages`
    : `Global model (personalized on its own after ${personal.min_messages} messages)`;
  const recall = onPersonal ? personal.recall : null;
  document.getElementById("recall-global").textContent = recall ? percent(recall.global) : "–";
  document.getElementById("recall-personal").textContent = recall ? percent(recall.personal) : "–";
  document.getElementById("recall-note").textContent = !onPersonal ? ""
    : recall ? `Top-1 recall on this device's ${recall.messages} newest messages `
      + `(${recall.words} words), which the personal model did not train on.`
    : "Too few messages to hold some out and measure the recall.";
  document.getElementById("personal-words").textContent = personal.personal_words;
  const problem = document.getElementById("personal-problem");
  problem.hidden = !personal.problem;
  problem.textContent = personal.problem || "";
  const busy = personal.job !== "idle";
  const button = document.getElementById("personalize");
  button.disabled = busy;
  button.textContent = busy ? "Personalizing…" : "Personalize";
  if (personalServing !== null && personalServing !== personal.serving) updateSuggestions();
  personalServing = personal.serving;
  if (busy && !personalPoll) personalPoll = setTimeout(refreshPersonal, PERSONAL_POLL_MS);
}

// A new device: its model is shown afresh (no suggestion update for the switch itself).
function resetPersonal() {
  personalServing = null;
}

async function refreshPersonal() {
  clearTimeout(personalPoll); // Called by the poll, or after new messages were stored.
  personalPoll = null;
  const asked = device;
  try {
    const state = await (await fetch("/api/device")).json();
    if (state.device === asked && asked === device) showPersonal(state.personal, state.model_version);
  } catch (error) {
    personalPoll = setTimeout(refreshPersonal, PERSONAL_POLL_MS);
  }
}

async function personalize() {
  const response = await fetch("/api/personalize", { method: "POST", headers: CSRF_HEADERS,
                                                     body: "{}" }).catch(() => null);
  const answer = response ? await response.json().catch(() => null) : null;
  if (response && response.ok && answer) {
    showPersonal(answer.personal, answer.model_version);
    return;
  }
  const problem = document.getElementById("personal-problem");
  problem.hidden = false;
  problem.textContent = answer && answer.error ? answer.error : "no connection; try again";
}
