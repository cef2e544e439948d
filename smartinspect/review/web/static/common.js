// Calls to the review JSON API from the pages: same-origin cookie + the session's CSRF token on every change.
"use strict";

async function reviewApi(path, {method = "GET", body} = {}) {
  const headers = {"Accept": "application/json"};
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) headers["X-CSRF-Token"] = token.content;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {method, headers, credentials: "same-origin",
                                      body: body === undefined ? undefined : JSON.stringify(body)});
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new Error(error.message || `HTTP ${response.status}`);
  }
  return data;
}

function showError(element, error) {
  element.textContent = String(error.message || error);
  element.hidden = false;
}

window.reviewApi = reviewApi;
window.showError = showError;
