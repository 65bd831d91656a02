// Settings → People: the invite and edit forms show the partner select only for the
// role "Partner user" (or while it holds a value or an error, so nothing is hidden that
// the server will judge). Without JavaScript the field is simply always there.
(function () {
  "use strict";
  document.querySelectorAll("form[data-person-form]").forEach(function (form) {
    var role = form.querySelector("select[name=role]");
    var partner = form.querySelector("select[name=partner]");
    if (!role || !partner) {
      return;
    }
    var box = partner.closest(".mb-3") || partner.parentElement;
    var flagged = box.querySelector(".invalid-feedback") !== null;
    function sync() {
      box.hidden = role.value !== "partner" && !partner.value && !flagged;
    }
    role.addEventListener("change", function () {
      flagged = false;
      sync();
      if (role.value === "partner") {
        partner.focus();
      }
    });
    partner.addEventListener("change", sync);
    sync();
  });
})();
