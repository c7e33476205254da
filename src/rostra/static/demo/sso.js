// Signing out of the publisher also signs the reader out of the comments:
// the page tells the embed first, then lets the form post.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("publisher-logout");
  if (!form) return;
  form.addEventListener("submit", (e) => {
    if (!window.Rostra || form.dataset.done) return;
    e.preventDefault();
    form.dataset.done = "1";
    window.Rostra.logout();
    setTimeout(() => form.submit(), 400);
  });
});
