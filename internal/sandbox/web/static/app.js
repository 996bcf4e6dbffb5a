// The copy buttons: of a new key's secret, and of each key's ID. They live
// in this file, not in the page, so that the page's Content-Security-Policy
// can forbid inline script. The page shows them only when this script runs:
// without it, the secret and the IDs are text to select and copy by hand.
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const status = document.getElementById("copy-status");
  const label = button.textContent;
  let said;
  try {
    await navigator.clipboard.writeText(source.textContent);
    button.textContent = "Copied";
    said = "Copied to the clipboard.";
  } catch {
    // Without clipboard access, select the text for the person to copy.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = "Selected: press Ctrl+C";
    said = "Selected: press Ctrl+C to copy.";
  }
  // The status line is read out by screen readers.
  if (status) status.textContent = said;
  setTimeout(() => { button.textContent = label; }, 4000);
});
