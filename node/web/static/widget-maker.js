/* The widget editor (/widget/maken): with JavaScript the preview and the code follow the form as it is
   changed, and the code can be copied with one button. Without it, the form is sent by GET and the page
   shows the same for the chosen values. The server renders the output section: this script asks for the
   page with the form's values and swaps that section in, so there is one place that writes the code. */
(function () {
  'use strict';
  var form = document.getElementById('widget-form');
  var status = document.getElementById('kopieer-melding');
  if (!form || !window.fetch || !window.URLSearchParams) return;
  var timer = null;
  var asked = 0;

  function showCopyButtons(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll('button.copy'), function (button) { button.hidden = false; });
  }

  function say(text) {
    if (!status) return;
    status.textContent = '';
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function copy(button) {
    var field = document.getElementById(button.getAttribute('data-copy'));
    if (!field) return;
    var done = function () { say(status.getAttribute('data-done')); };
    var failed = function () {
      field.focus();
      field.select();
      say(status.getAttribute('data-failed'));
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, failed);
    } else {
      failed();
    }
  }

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === 'string' && value.trim() !== '') params.append(name, value);
    });
    return params.toString();
  }

  async function refresh() {
    var mine = ++asked;
    var search = query();
    var url = form.getAttribute('action') + (search ? '?' + search : '');
    try {
      var response = await fetch(url, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
      var text = await response.text();
      if (mine !== asked) return;
      var fresh = new DOMParser().parseFromString(text, 'text/html').getElementById('widget-uitvoer');
      var current = document.getElementById('widget-uitvoer');
      if (!fresh || !current) return;
      current.replaceWith(document.importNode(fresh, true));
      showCopyButtons(document);
      window.history.replaceState(null, '', url);
    } catch (error) {
      /* The form still works by sending it. */
    }
  }

  form.addEventListener('input', function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
  form.addEventListener('change', function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 150);
  });
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button.copy') : null;
    if (button) copy(button);
  });
  showCopyButtons(document);
})();
