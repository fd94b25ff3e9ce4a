/* <sportnode-activities>: a node's offering on any website (docs/web.md, "Widget").

     <sportnode-activities node="https://sport.example.nl" wijk="WK030701" limit="5">
       <a href="https://sport.example.nl/zoeken">Sport en bewegen</a>
     </sportnode-activities>
     <script src="https://sport.example.nl/static/widget.js" defer></script>

   The element fetches server-made HTML from the node's /widget/fragment and shows it in a shadow root with
   the node's stylesheet, so the host's CSS cannot reach in and the widget's cannot reach out. Its look
   follows the custom properties --sportnode-font, --sportnode-accent, --sportnode-text,
   --sportnode-background and --sportnode-radius. Until the list arrives, or if it cannot be had, the
   element's own content (the link) is shown. */
(function () {
  'use strict';
  if (!window.customElements || window.customElements.get('sportnode-activities')) return;

  var script = document.currentScript;
  var scriptOrigin = script && script.src ? new URL(script.src, document.baseURI).origin : '';
  // Attribute -> query parameter of /widget/fragment.
  var FILTERS = {
    wijk: 'wijk', municipality: 'municipality', sport: 'sport', 'target-group': 'targetGroup',
    day: 'day', free: 'free', 'max-price': 'maxPrice', q: 'q', limit: 'limit'
  };
  var LANGUAGES = ['nl', 'en'];
  var DROPPED = 'script, iframe, object, embed, base, meta, form, frame, frameset';

  // The node sends inert, sanitised HTML; this is a second fence, so the element never runs markup.
  function defuse(fragment) {
    Array.prototype.forEach.call(fragment.querySelectorAll(DROPPED), function (el) { el.remove(); });
    Array.prototype.forEach.call(fragment.querySelectorAll('*'), function (el) {
      Array.prototype.slice.call(el.attributes).forEach(function (attribute) {
        var name = attribute.name.toLowerCase();
        var value = attribute.value.replace(/[\s\u0000-\u001f]+/g, '').toLowerCase();
        if (name.indexOf('on') === 0 || name === 'style' || name === 'srcdoc' ||
            ((name === 'href' || name === 'src' || name === 'action' || name === 'xlink:href') &&
             (value.indexOf('javascript:') === 0 || value.indexOf('data:') === 0 || value.indexOf('vbscript:') === 0))) {
          el.removeAttribute(attribute.name);
        }
      });
    });
    return fragment;
  }

  class SportnodeActivities extends HTMLElement {
    static get observedAttributes() {
      return ['node', 'lang'].concat(Object.keys(FILTERS));
    }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: 'open' });
      this._root.appendChild(document.createElement('slot'));
      this._asked = 0;
      this._queued = false;
    }

    connectedCallback() { this._queue(); }

    attributeChangedCallback() { if (this.isConnected) this._queue(); }

    // Several attributes set one after another make one request.
    _queue() {
      if (this._queued) return;
      this._queued = true;
      var self = this;
      Promise.resolve().then(function () { self._queued = false; self._load(); });
    }

    _url() {
      var node = (this.getAttribute('node') || scriptOrigin).replace(/\/+$/, '');
      var url = new URL(node + '/widget/fragment', document.baseURI);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('node must be a web address');
      var self = this;
      Object.keys(FILTERS).forEach(function (attribute) {
        var value = self.getAttribute(attribute);
        if (value) url.searchParams.set(FILTERS[attribute], value);
      });
      var owner = this.closest('[lang]');
      var language = (this.getAttribute('lang') || (owner ? owner.getAttribute('lang') : '') || '').slice(0, 2).toLowerCase();
      if (LANGUAGES.indexOf(language) >= 0) url.searchParams.set('lang', language);
      return url;
    }

    async _load() {
      var asked = ++this._asked;
      try {
        var response = await fetch(this._url().href, { mode: 'cors', credentials: 'omit' });
        var type = response.headers.get('Content-Type') || '';
        if (type.indexOf('text/html') !== 0) throw new Error('not HTML');
        var text = await response.text();
        if (asked !== this._asked) return;
        var template = document.createElement('template');
        template.innerHTML = text;
        this._root.replaceChildren(defuse(template.content));
        this.setAttribute('data-state', response.ok ? 'loaded' : 'error');
      } catch (error) {
        if (asked !== this._asked) return;
        // Show the element's own content (the link the editor pasted) instead.
        this._root.replaceChildren(document.createElement('slot'));
        this.setAttribute('data-state', 'failed');
      }
    }
  }

  window.customElements.define('sportnode-activities', SportnodeActivities);
})();
