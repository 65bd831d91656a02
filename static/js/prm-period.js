/* The period picker: editing a day makes the period custom; choosing a preset keeps
   the days out of the request (the server lets the preset win anyway). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target.form;
    if (!form) { return; }
    var preset = form.querySelector("[data-period-preset]");
    if (!preset) { return; }
    if (target.hasAttribute("data-period-day")) {
      preset.value = "custom";
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var preset = form.querySelector && form.querySelector("[data-period-preset]");
    if (!preset || preset.value === "custom") { return; }
    form.querySelectorAll("[data-period-day]").forEach(function (input) { input.disabled = true; });
  });
})();
