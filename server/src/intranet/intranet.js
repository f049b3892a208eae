// The host page's own script: prefill before the widget loads, open it
// from a button, and list the widget's events.
window.Fixline = window.Fixline || [];
window.Fixline.push(["prefill", { name: "王芳", phone: "13800138000" }]);
window.Fixline.push(["on", "escalated", function (e) { log("escalated " + e.number); }]);
window.Fixline.push(["on", "resolved", function (e) { log("resolved " + e.number); }]);
window.Fixline.push(["on", "ready", function () { log("ready"); }]);
function log(text) {
  var li = document.createElement("li");
  li.textContent = text;
  document.getElementById("events").appendChild(li);
}
document.addEventListener("DOMContentLoaded", function () {
  document.getElementById("open-widget").addEventListener("click", function () {
    if (window.Fixline && typeof window.Fixline.open === "function") window.Fixline.open();
  });
});
