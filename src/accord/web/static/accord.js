// Accord's one script. The pages work without it; it adds live deadline countdowns, the new
// request form's check against the guidelines as you type, and evidence search.
"use strict";

// A countdown in the page's words: the server puts them on the element (data-due, data-over:
// a sentence with {time}; data-units: d,h,min,s; data-gap: between a number and its unit).
function duration(ms, units, gap) {
  let s = Math.floor(Math.abs(ms) / 1000);
  const parts = [[Math.floor(s / 86400), units[0]], [Math.floor((s % 86400) / 3600), units[1]],
                 [Math.floor((s % 3600) / 60), units[2]], [s % 60, units[3]]];
  while (parts.length && parts[0][0] === 0) parts.shift();
  const shown = parts.slice(0, 2).filter(p => p[0]).map(p => p[0] + gap + p[1]);
  return shown.join(gap) || "0" + gap + units[3];
}

// The node's clock, not the browser's: a deadline is the node's, and a reader's computer may
// be minutes or hours wrong. A countdown says when the node counted it (data-now); the
// difference from the browser's clock then is kept.
const skew = (() => {
  const counted = document.querySelector("[data-countdown][data-now]");
  const made = counted ? Date.parse(counted.dataset.now) : NaN;
  return Number.isFinite(made) ? made - Date.now() : 0;
})();

function tick() {
  const now = Date.now() + skew;
  for (const el of document.querySelectorAll("[data-countdown]")) {
    const left = Date.parse(el.getAttribute("datetime")) - now;
    const units = (el.dataset.units || "d,h,min,s").split(",");
    const gap = el.dataset.gap === undefined ? "\u00a0" : el.dataset.gap;
    const sentence = left >= 0 ? (el.dataset.due || "due in {time}")
                               : (el.dataset.over || "overdue by {time}");
    // Non-breaking spaces: a countdown is never cut across lines.
    el.textContent = sentence.replace("{time}", duration(left, units, gap)).replace(/ /g, "\u00a0");
    el.classList.toggle("late", left < 0);
  }
}

// The browser's time zone, the first guess of the reader's until they choose one.
function guessZone() {
  let zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
  if (!/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) return;
  if (document.cookie.split("; ").includes("accord_tz=" + zone)) return;
  document.cookie = "accord_tz=" + zone + "; path=/ui/; max-age=31536000; samesite=strict" +
    (location.protocol === "https:" ? "; secure" : "");
}

// The session ended (signed out elsewhere, expired, token revoked): say so by going to sign-in,
// or, on a form being typed (`stay`), by saying it there: its Send keeps what was typed.
function signedOut(response, stay) {
  if (response.redirected && new URL(response.url).pathname === "/ui/sign-in") {
    if (stay) { stay(); return true; }
    location.assign("/ui/sign-in?why=ended&next=" + encodeURIComponent(location.pathname));
    return true;
  }
  return false;
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function checkRequest(form) {
  const box = document.getElementById("missing");
  const ended = () => { box.hidden = false; box.textContent = form.dataset.ended; };
  const check = async () => {
    const response = await fetch(form.dataset.check, {method: "POST", body: new FormData(form),
                                                      credentials: "same-origin"});
    if (signedOut(response, ended) || !response.ok) return;
    const result = await response.json();
    // The deadlines are the addressee's node's: they change with the addressee.
    for (const label of document.querySelectorAll("[data-deadline]")) {
      label.textContent = result.their.labels[label.dataset.deadline] || "";
    }
    document.getElementById("their-deadlines").textContent = result.their.note;
    const lines = result.problems.concat(result.missing.length
      ? [result.said || "The guidelines (version " + result.guidelines.version + ") still want: " + result.missing.join(", ") + "."]
      : []).concat(result.warnings || []);
    box.hidden = lines.length === 0;
    box.textContent = lines.join(" ");
    document.getElementById("g-source").textContent = result.guidelines.source;
    for (const row of document.querySelectorAll("#g-required tr[data-kind]")) {
      row.querySelector("td").textContent = result.guidelines.required[row.dataset.kind].join(", ");
    }
    const kind = new FormData(form).get("kind");
    const wanted = (kind && result.guidelines.fields[kind]) || [];
    for (const label of form.querySelectorAll("label[data-field]")) {
      const field = label.dataset.field;
      if (field === "summary") continue;  // always required, marked in the page
      let mark = label.querySelector(".req");
      if (wanted.includes(field) && !mark) {
        mark = document.createElement("span");
        mark.className = "req";
        // In the page's language: the word the summary's mark already shows.
        mark.textContent = " " + (form.querySelector(".req") || {textContent: "required"}).textContent;
        label.append(mark);
      } else if (!wanted.includes(field) && mark) {
        mark.remove();
      }
    }
  };
  const later = debounce(check, 250);
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  check();
}

// An evidence search box: its data-results list shows what matches, and Attach adds the id to
// its data-target textarea (the new-request form's are "evidence-results" and "evidence").
// The page gives the words in the reader's language (data-none, data-attach, data-attached).
function searchEvidence(input) {
  const list = document.getElementById(input.dataset.results || "evidence-results");
  const attached = document.getElementById(input.dataset.target || "evidence");
  const said = (name, english) => input.dataset[name] || english;
  // On the new-request form, an ended session is said there: what was typed stays.
  const form = input.form;
  const ended = form && form.dataset.ended ? () => {
    const box = document.getElementById("missing");
    box.hidden = false;
    box.textContent = form.dataset.ended;
  } : null;
  const attach = id => {
    const ids = attached.value.split(/\s+/).filter(Boolean);
    if (!ids.includes(id)) ids.push(id);
    attached.value = ids.join("\n");
    attached.dispatchEvent(new Event("input", {bubbles: true}));
  };
  const search = async () => {
    const q = input.value.trim();
    list.replaceChildren();
    if (q.length < 2) return;
    const response = await fetch(input.dataset.search + "?q=" + encodeURIComponent(q),
                                 {credentials: "same-origin"});
    if (signedOut(response, ended) || !response.ok) return;
    const found = (await response.json()).results;
    if (!found.length) {
      const none = document.createElement("li");
      none.className = "muted small";
      none.textContent = said("none", "Nothing you may read matches.");
      list.append(none);
    }
    for (const item of found) {
      const li = document.createElement("li");
      li.textContent = (item.name || item.id) + " (" + (item.type_words || item.type) + ", " + item.marking + ")";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small";
      button.textContent = said("attach", "Attach");
      button.setAttribute("aria-label", said("attach", "Attach") + " " + (item.name || item.id));
      button.addEventListener("click", () => {
        attach(item.id);
        button.textContent = said("attached", "Attached");
      });
      li.append(button);
      list.append(li);
    }
  };
  input.addEventListener("input", debounce(search, 250));
  input.addEventListener("keydown", event => { if (event.key === "Enter") event.preventDefault(); });
}

// What was typed into the page's forms, kept across a change of language (the page comes
// again in the other language, empty): in this tab's session storage, for this page only,
// put back once and then forgotten. Hidden fields (the forms' tokens) are the page's own.
const TYPED = "accord-typed";

function typedFields() {
  return document.querySelectorAll(
    "main form[method=post] textarea, main form[method=post] select, " +
    "main form[method=post] input:not([type=hidden]):not([type=password])" +
    ":not([type=submit]):not([type=button]):not([type=file])");
}

function fieldKey(field, index) {
  return (field.form ? field.form.getAttribute("action") || "" : "") + "|" +
    (field.name || field.id || String(index));
}

function keepTyped() {
  const kept = {};
  typedFields().forEach((field, index) => {
    const changed = field.type === "checkbox" || field.type === "radio"
      ? field.checked !== field.defaultChecked
      : field.tagName === "SELECT"
        ? [...field.options].some(o => o.selected !== o.defaultSelected)
        : field.value !== field.defaultValue;
    if (!changed) return;
    kept[fieldKey(field, index) + (field.type === "radio" ? "=" + field.value : "")] =
      field.type === "checkbox" || field.type === "radio" ? field.checked : field.value;
  });
  if (Object.keys(kept).length) {
    sessionStorage.setItem(TYPED, JSON.stringify({page: location.pathname, kept}));
  }
}

function putTypedBack() {
  const saved = sessionStorage.getItem(TYPED);
  if (!saved) return;
  sessionStorage.removeItem(TYPED);
  let page, kept;
  try { ({page, kept} = JSON.parse(saved)); } catch (error) { return; }
  if (page !== location.pathname || !kept) return;
  typedFields().forEach((field, index) => {
    const key = fieldKey(field, index) + (field.type === "radio" ? "=" + field.value : "");
    if (!(key in kept)) return;
    if (field.type === "checkbox" || field.type === "radio") field.checked = Boolean(kept[key]);
    else field.value = String(kept[key]);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  putTypedBack();
  for (const language of document.querySelectorAll("form.language")) {
    language.addEventListener("submit", keepTyped);
  }
  guessZone();
  if (document.querySelector("[data-countdown]")) { tick(); setInterval(tick, 1000); }
  const form = document.getElementById("new-request");
  if (form) {
    // Changed once by script, the form's key is one the browser restores with what was typed
    // when Back comes to the form again (it keeps only values changed since the page came):
    // a second Send then shows the request already made.
    const key = form.querySelector("input[name=form_key]");
    if (key && !key.value.includes(".")) {
      key.value = key.value + "." + Math.random().toString(36).slice(2, 10);
    }
    checkRequest(form);
  }
  for (const input of document.querySelectorAll("[data-search]")) searchEvidence(input);
});
