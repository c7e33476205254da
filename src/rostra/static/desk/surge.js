// Surges, live: the desk's stream (GET /desk/events) tells of a story whose
// comment rate starts or ends a surge ("story.surge"); the list of surging
// stories on the page follows it. Text only (textContent), no markup.
const list = document.getElementById("surges");
if (list) {
  const stream = new EventSource("/desk/events");
  const line = (data) => {
    const parts = [`${data.title || "Story " + data.story_id}: ${data.rate} comments a minute`];
    if (data.mode === "premoderated") parts.push("premoderated");
    if (data.slow_mode_seconds) parts.push(`slow mode ${data.slow_mode_seconds} s`);
    return parts.join(" · ");
  };
  stream.addEventListener("story.surge", (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      console.warn("desk: a surge could not be shown", error);
      return;
    }
    const id = String(data.story_id);
    let item = list.querySelector(`li[data-story="${CSS.escape(id)}"]`);
    if (data.surging) {
      list.querySelector("li.none")?.remove();
      if (!item) {
        item = document.createElement("li");
        item.dataset.story = id;
        list.prepend(item);
      }
      item.className = "surging";
      item.textContent = line(data);
    } else if (item) {
      item.className = "calm";
      item.textContent = `${data.title || "Story " + id}: calm again (${data.rate} a minute)`;
    }
    const row = document.getElementById(`story-${id}`);
    if (row) row.dataset.surging = data.surging ? "yes" : "no";
  });
  stream.addEventListener("ready", () => list.setAttribute("data-live", "on"));
  stream.addEventListener("error", () => list.setAttribute("data-live", "off"));
}
