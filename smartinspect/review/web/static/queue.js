// Queue page: claim and release buttons call the JSON API, then the page reloads with the same filters.
"use strict";

document.querySelectorAll("button[data-action]").forEach((button) => {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await reviewApi(`/v1/review/cases/${button.dataset.case}/${button.dataset.action}`, {method: "POST"});
      window.location.reload();
    } catch (error) {
      showError(document.getElementById("queue-error"), error);
      button.disabled = false;
    }
  });
});
