// Case page: the scan viewer and its controls, the box editor, claim/release and the decision form.
"use strict";

const caseData = JSON.parse(document.getElementById("case-data").textContent);
const $ = (id) => document.getElementById(id);
const CLASS_COLOURS = {firearm: "#ff3030", drugs: "#ff40ff", cigarettes: "#ffd000", concealment: "#30e0ff"};
let viewer = null;
let boxesEdited = false;

function setupViewer(scan) {
  viewer = new ScanViewer($("viewer"), {width: scan.width, height: scan.height, bitDepth: scan.bit_depth,
                                         classColours: CLASS_COLOURS});
  viewer.boxes = scan.findings.map((f) => ({class_name: f.class_name, box: f.box.map(Math.round), source: "model"}));
  viewer.onChange = syncWindowControls;
  viewer.onProbe = (x, y, v) => {
    $("pixel-probe").textContent = v === null ? "" : `x ${Math.floor(x)}, y ${Math.floor(y)}: ${v}`;
  };
  viewer.onBoxDrawn = (box) => {
    viewer.boxes.push({class_name: $("draw-class").value, box, source: "expert"});
    boxesEdited = true;
    renderBoxList();
  };
  $("zoom-in").onclick = () => viewer.zoom(1.5);
  $("zoom-out").onclick = () => viewer.zoom(1 / 1.5);
  $("zoom-fit").onclick = () => viewer.fit();
  $("zoom-1").onclick = () => viewer.actualSize();
  $("toggle-boxes").onchange = (e) => { viewer.showBoxes = e.target.checked; viewer.render(); };
  $("toggle-invert").onchange = (e) => viewer.setInvert(e.target.checked);
  $("toggle-materials").onchange = async (e) => {
    viewer.showMaterials = e.target.checked;
    if (e.target.checked && !viewer.materials && scan.links.materials) {
      await viewer.loadMaterials(scan.links.materials);
      document.body.dataset.materialsReady = "1";
    }
    viewer.render();
  };
  $("draw-box").onclick = (e) => {
    viewer.drawMode = !viewer.drawMode;
    e.target.setAttribute("aria-pressed", String(viewer.drawMode));
    $("viewer").classList.toggle("drawing", viewer.drawMode);
  };
  $("wl-level").oninput = () => viewer.setWindow(Number($("wl-level").value), viewer.window);
  $("wl-width").oninput = () => viewer.setWindow(viewer.level, Number($("wl-width").value));
  $("wl-auto").onclick = () => viewer.autoWindow();
  $("wl-full").onclick = () => viewer.fullWindow();
  window.addEventListener("resize", () => viewer.fit());
  renderBoxList();
  viewer.load(scan.links.pixels).then(() => {
    $("viewer-status").textContent = "";
    // Navigation start -> first full render, for the browser test (the DOM copy needs no script eval to read).
    window.__viewerReady = performance.now();
    document.body.dataset.viewerReadyMs = window.__viewerReady.toFixed(1);
  }).catch((error) => { $("viewer-status").textContent = String(error.message || error); });
}

function syncWindowControls() {
  $("wl-level").value = viewer.level; $("wl-level-out").textContent = viewer.level;
  $("wl-width").value = viewer.window; $("wl-width-out").textContent = viewer.window;
}

function renderBoxList() {
  const body = $("box-list").querySelector("tbody");
  body.replaceChildren();
  viewer.boxes.forEach((b, i) => {
    const row = document.createElement("tr");
    const select = document.createElement("select");
    for (const name of caseData.scan.classes) select.add(new Option(name, name, false, name === b.class_name));
    select.onchange = () => { b.class_name = select.value; boxesEdited = true; viewer.render(); };
    row.appendChild(cell(select));
    b.box.forEach((v, k) => {
      const input = document.createElement("input");
      input.type = "number"; input.value = v; input.className = "coord";
      input.onchange = () => {
        const next = b.box.slice(); next[k] = Number(input.value);
        b.box = normaliseBox(next, viewer.width, viewer.height); boxesEdited = true; renderBoxList(); viewer.render();
      };
      row.appendChild(cell(input));
    });
    row.appendChild(cell(document.createTextNode(b.source)));
    const remove = document.createElement("button");
    remove.textContent = "Remove"; remove.className = "small";
    remove.onclick = () => { viewer.boxes.splice(i, 1); boxesEdited = true; renderBoxList(); viewer.render(); };
    row.appendChild(cell(remove));
    body.appendChild(row);
  });
  viewer.render();
}

function cell(child) { const td = document.createElement("td"); td.appendChild(child); return td; }

function showState(state) {
  const status = $("instruction-status");
  status.textContent = state.status_text;
  status.className = `status status-${state.status}`;
  $("assignee").textContent = state.assignee || "—";
  $("claim").hidden = !state.open || Boolean(state.assignee);
  $("release").hidden = !state.open || !state.held_by_me;
  if (state.follow_up) {
    $("follow-up").textContent = `Follow-up: ${state.follow_up.kind} #${state.follow_up.id} (${state.follow_up.status})`;
    $("follow-up").hidden = false;
  }
}

function decisionBody(form) {
  const body = {decision: form.elements.decision.value, comment: form.elements.comment.value};
  if (caseData.scan && boxesEdited) {
    body.boxes = viewer.boxes.map((b) => ({class_name: b.class_name, box: b.box}));
  }
  if (form.elements.genus && form.elements.genus.value.trim()) body.labels = {genus: form.elements.genus.value.trim()};
  const corrected = {};
  form.querySelectorAll("input[data-field]").forEach((input) => {
    if (input.value !== input.dataset.original) corrected[input.dataset.field] = input.value;
  });
  if (Object.keys(corrected).length) body.fields = corrected;
  return body;
}

async function submitDecision(event) {
  event.preventDefault();
  const form = event.target;
  $("decision-error").hidden = true;
  $("submit-decision").disabled = true;
  try {
    const result = await reviewApi(`/v1/review/cases/${caseData.id}/decision`,
                                   {method: "POST", body: decisionBody(form)});
    showState(result.case);
    form.hidden = true;
    $("decision-done").textContent = `${result.decision} recorded by ${result.actor}: ${result.comment}`;
    $("decision-done").hidden = false;
  } catch (error) {
    showError($("decision-error"), error);
  } finally {
    $("submit-decision").disabled = false;
  }
}

async function claimOrRelease(action) {
  try {
    showState(await reviewApi(`/v1/review/cases/${caseData.id}/${action}`, {method: "POST"}));
  } catch (error) {
    showError($("decision-error"), error);
  }
}

$("claim").onclick = () => claimOrRelease("claim");
$("release").onclick = () => claimOrRelease("release");
$("decision-form").addEventListener("submit", submitDecision);
if (caseData.scan) setupViewer(caseData.scan);
