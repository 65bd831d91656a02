/* Behaviour the pages declare in data- attributes, so that no page needs an inline
   script, event handler or style attribute (the Content-Security-Policy allows only
   scripts and styles from our own static files):

   - data-focus-on-load: the element (an error summary) takes the focus when the page
     loads, so keyboard and screen reader users land on what went wrong;
   - <form data-confirm="Question?">: submitting asks first, and a "Cancel" keeps it;
   - <form data-submit-once>: a second submit while the first is on its way is dropped
     (a double click sends a message once); a page brought back from the history can
     send again;
   - <select data-autosubmit>: choosing an option submits its form;
   - data-progress="42": the element's width is that percentage (a progress bar),
     also in content htmx swaps in;
   - content htmx swaps in for content of the same ids (the dashboard's live refresh)
     keeps how the reader left it: <details id> panels stay open, boxes with an id keep
     their scroll position, and so does the page (htmx itself keeps the focus on an
     element with an id). */
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

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once") || event.defaultPrevented) {
      return;
    }
    if (form.dataset.submitted) {
      event.preventDefault();
    } else {
      form.dataset.submitted = "1";
    }
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-submitted]").forEach(function (form) {
        delete form.dataset.submitted;
      });
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.hasAttribute && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
    }
  });

  // What a reader changed in the content being replaced, read just before htmx swaps
  // it and given back just after, in the same task (so nothing is painted between).
  var kept = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    kept = null;
    if (!event.detail.shouldSwap || !target || !target.querySelectorAll) { return; }
    var open = [];
    var scrolled = [];
    var inside = [target].concat(Array.prototype.slice.call(target.querySelectorAll("[id]")));
    inside.forEach(function (element) {
      if (!element.id) { return; }
      if (element.tagName === "DETAILS" && element.open) { open.push(element.id); }
      if (element.scrollTop || element.scrollLeft) {
        scrolled.push([element.id, element.scrollTop, element.scrollLeft]);
      }
    });
    kept = { open: open, scrolled: scrolled, x: window.scrollX, y: window.scrollY };
  });

  document.addEventListener("htmx:afterSwap", function () {
    if (!kept) { return; }
    var state = kept;
    kept = null;
    state.open.forEach(function (id) {
      var panel = document.getElementById(id);
      if (panel && panel.tagName === "DETAILS") { panel.open = true; }
    });
    state.scrolled.forEach(function (entry) {
      var box = document.getElementById(entry[0]);
      if (box) {
        box.scrollTop = entry[1];
        box.scrollLeft = entry[2];
      }
    });
    if (window.scrollX !== state.x || window.scrollY !== state.y) {
      // At once: Bootstrap makes scrolling smooth, which would show the jump.
      window.scrollTo({ left: state.x, top: state.y, behavior: "instant" });
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
