// The copy button of a new key's secret. It lives in this file, not in the
// page, so that the page's Content-Security-Policy can forbid inline script.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const secret = document.getElementById(button.dataset.copy);
  try {
    await navigator.clipboard.writeText(secret.textContent);
    button.textContent = "Copied";
  } catch {
    // Without clipboard access, select the secret for the person to copy.
    const range = document.createRange();
    range.selectNodeContents(secret);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = "Selected: press Ctrl+C";
  }
});
