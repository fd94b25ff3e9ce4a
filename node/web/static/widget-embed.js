/* Loaded by a host page beside the widget's iframe (<iframe ... data-sportnode-widget>): sets each frame's
   height to what the frame reports. Only messages from the node that served this script count, and only
   for a frame of this page. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;
  var MIN = 40;
  var MAX = 20000;

  function frames() {
    return document.querySelectorAll('iframe[data-sportnode-widget], iframe[src^="' + origin + '/widget"]');
  }

  function prepare(frame) {
    frame.style.border = '0';
    frame.style.width = '100%';
    frame.style.display = 'block';
  }

  Array.prototype.forEach.call(frames(), prepare);
  window.addEventListener('message', function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || data.type !== 'sportnode:height' || typeof data.height !== 'number' || !isFinite(data.height)) return;
    var height = Math.min(MAX, Math.max(MIN, Math.ceil(data.height)));
    Array.prototype.forEach.call(frames(), function (frame) {
      if (frame.contentWindow === event.source) {
        prepare(frame);
        frame.style.height = height + 'px';
        frame.setAttribute('height', String(height));
      }
    });
  });
})();
