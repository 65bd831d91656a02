/* The new-partner form suggests a ref from the business name: lower case, accents
   dropped, letters and digits joined by "-" (a ref's characters: letters, digits, -
   and _), at most 64 characters. The ref follows the name until someone types a ref
   of their own; the server checks it like any other. */
(function () {
  "use strict";
  var LIMIT = 64;

  function suggest(name) {
    return name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/&/g, " and ")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+/, "")
      .slice(0, LIMIT)
      .replace(/-+$/, "");
  }

  document.querySelectorAll("input[data-ref-from]").forEach(function (ref) {
    var name = document.getElementById(ref.getAttribute("data-ref-from"));
    if (!name) { return; }
    // A ref sent back with the form is followed only if it is the name's suggestion.
    var following = ref.value === "" || ref.value === suggest(name.value);
    name.addEventListener("input", function () {
      if (following) { ref.value = suggest(name.value); }
    });
    ref.addEventListener("input", function () {
      // Emptied: follow the name again; anything else is the user's own ref.
      following = ref.value === "";
    });
  });
})();
