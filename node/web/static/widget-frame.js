/* Inside the widget's iframe: tell the host page how tall the list is, whenever that changes, so the
   embed script (widget-embed.js) can size the frame and no inner scroll bar is needed. The message holds
   a height only, so it may go to any host page. */
(function () {
  'use strict';
  if (window.parent === window) return;
  var last = -1;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: 'sportnode:height', height: height }, '*');
  }
  send();
  window.addEventListener('load', send);
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(send).observe(document.documentElement);
  } else {
    window.addEventListener('resize', send);
  }
})();
