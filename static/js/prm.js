/* Behaviour the pages declare in data- attributes, so that no page needs an inline
   script, event handler or style attribute (the Content-Security-Policy allows only
   scripts and styles from our own static files):

   - data-focus-on-load: the element (an error summary) takes the focus when the page
     loads, so keyboard and screen reader users land on what went wrong;
   - <form data-confirm="Question?">: submitting asks first, and a "Cancel" keeps it;
   - <select data-autosubmit>: choosing an option submits its form;
   - data-progress="42": the element's width is that percentage (a progress bar),
     also in content htmx swaps in. */
(function () {
  "use strict";

  function setUp(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      var percent = Math.max(0, Math.min(100, parseFloat(bar.dataset.progress) || 0));
      bar.style.width = percent + "%";
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.dataset && form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.hasAttribute && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
    }
  });

  var first = document.querySelector("[data-focus-on-load]");
  if (first) {
    first.focus();
  }

  if (window.htmx) {
    htmx.onLoad(setUp);
  } else {
    setUp(document);
  }
})();
