/*
 * "Bij mij in de buurt" on the search page (docs/web.md, "Search"): the button is rendered hidden, so
 * without JavaScript (or without geolocation) it is never shown and the postcode field does the work.
 * Here it is shown; a press asks the browser for the position, fills the disabled hidden lat/lon fields,
 * clears the postcode (a position is newer than a typed postcode), picks a distance when none is chosen,
 * and submits the form. The texts come from the button's data attributes (the page's language).
 */
(function () {
  "use strict";

  function start() {
    var button = document.getElementById("near-me");
    if (!button || !("geolocation" in navigator)) {
      return;
    }
    var form = document.getElementById(button.getAttribute("form") || "zoekformulier");
    var status = document.getElementById("near-me-status");
    var lat = document.querySelector("input[data-near-me='lat']");
    var lon = document.querySelector("input[data-near-me='lon']");
    if (!form || !lat || !lon) {
      return;
    }
    var wrapper = button.closest(".near-me") || button;
    wrapper.hidden = false;

    function say(text) {
      if (status) {
        status.textContent = text || "";
      }
    }

    button.addEventListener("click", function () {
      button.disabled = true;
      say(button.getAttribute("data-busy"));
      navigator.geolocation.getCurrentPosition(function (position) {
        // About 100 m: enough to measure distances, less than an address.
        lat.value = position.coords.latitude.toFixed(3);
        lon.value = position.coords.longitude.toFixed(3);
        lat.disabled = false;
        lon.disabled = false;
        var postcode = document.getElementById("f-postcode");
        if (postcode) {
          postcode.value = "";
        }
        var km = document.getElementById("f-km");
        if (km && !km.value) {
          km.value = "2";
        }
        form.submit();
      }, function () {
        button.disabled = false;
        say(button.getAttribute("data-failed"));
      }, { maximumAge: 300000, timeout: 15000 });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
