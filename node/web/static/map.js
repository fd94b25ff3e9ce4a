/*
 * Sportnode's map: progressive enhancement of a result list (docs/web.md, "Map").
 *
 * A page holds <div class="map" hidden data-list="#results" data-tiles="..." data-attribution="..."
 * aria-label="..."></div> and a list whose items carry data-lat/data-lon and one <a> with the name;
 * or, for a single place, data-point-lat/data-point-lon on the div. This script draws the map and
 * removes `hidden`; without JavaScript (or without Leaflet) the div stays hidden and the list carries
 * everything. After drawing, data-markers="N" on the div tells how many markers it shows.
 *
 * Plain ES2017 and no inline code or style attributes, so that it runs under a Content-Security-Policy
 * of script-src 'self'; style-src 'self'. Loaded after vendor/leaflet/leaflet.js and
 * vendor/leaflet.markercluster/leaflet.markercluster.js.
 */
(function () {
  "use strict";

  var DEFAULT_LABELS = {
    cluster: "{n} resultaten",
    zoomIn: "Inzoomen",
    zoomOut: "Uitzoomen",
    close: "Sluiten",
    point: "Locatie"
  };

  function coordinate(value, limit) {
    if (value === null || value === undefined || String(value).trim() === "") {
      return null;
    }
    var number = Number(value);
    return isFinite(number) && Math.abs(number) <= limit ? number : null;
  }

  function latLon(lat, lon) {
    var a = coordinate(lat, 90);
    var b = coordinate(lon, 180);
    return a === null || b === null ? null : [a, b];
  }

  // The attribution is the operator's setting: text and links only. It is rebuilt from an inert parse
  // (no script runs, nothing loads), so whatever else the setting holds reaches the page as text.
  function safeAttribution(html) {
    if (!html) {
      return "";
    }
    var parsed = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html").body;
    var out = document.createElement("span");
    function copy(from, to) {
      Array.prototype.forEach.call(from.childNodes, function (node) {
        if (node.nodeType === 3) {
          to.appendChild(document.createTextNode(node.nodeValue));
        } else if (node.nodeType === 1) {
          var href = node.nodeName === "A" ? node.getAttribute("href") || "" : "";
          if (/^https?:\/\//i.test(href)) {
            var link = document.createElement("a");
            link.setAttribute("href", href);
            copy(node, link);
            to.appendChild(link);
          } else {
            copy(node, to);
          }
        }
      });
    }
    copy(parsed, out);
    return out.innerHTML;
  }

  function labels(element) {
    return {
      cluster: element.getAttribute("data-cluster-label") || DEFAULT_LABELS.cluster,
      zoomIn: element.getAttribute("data-zoom-in-label") || DEFAULT_LABELS.zoomIn,
      zoomOut: element.getAttribute("data-zoom-out-label") || DEFAULT_LABELS.zoomOut,
      close: element.getAttribute("data-close-label") || DEFAULT_LABELS.close,
      point: element.getAttribute("data-point-label") || DEFAULT_LABELS.point
    };
  }

  function resultItems(element) {
    var selector = element.getAttribute("data-list");
    var list = selector ? document.querySelector(selector) : null;
    if (!list) {
      return [];
    }
    var items = [];
    Array.prototype.forEach.call(list.querySelectorAll("[data-lat][data-lon]"), function (item) {
      var position = latLon(item.getAttribute("data-lat"), item.getAttribute("data-lon"));
      var link = item.querySelector("a[href]");
      if (position && link) {
        items.push({ position: position, name: link.textContent.trim(), href: link.getAttribute("href") });
      }
    });
    return items;
  }

  // Popups move focus to their link and give it back to the marker when they close, so that a
  // keyboard user is not sent through every other marker to reach the popup.
  function withPopup(marker, name, href, text) {
    var link = document.createElement("a");
    link.setAttribute("href", href);
    link.textContent = name;
    marker.bindPopup(link);
    marker.on("popupopen", function (event) {
      var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", text.close);
        close.setAttribute("title", text.close);
      }
      link.focus({ preventScroll: true });
    });
    marker.on("popupclose", function () {
      var icon = marker.getElement();
      if (icon && link === document.activeElement) {
        icon.focus({ preventScroll: true });
      }
    });
    return marker;
  }

  function marker(L, position, name) {
    return L.marker(position, { title: name, alt: name, keyboard: true, riseOnHover: true });
  }

  function draw(element) {
    var L = window.L;
    if (!L || typeof L.map !== "function") {
      return;
    }
    var text = labels(element);
    var point = latLon(element.getAttribute("data-point-lat"), element.getAttribute("data-point-lon"));
    var items = point ? [] : resultItems(element);
    if (!point && items.length === 0) {
      element.setAttribute("data-markers", "0");
      return;
    }

    // Leaflet measures its container: it must be visible before the map is made.
    element.removeAttribute("hidden");
    if (!element.hasAttribute("role")) {
      element.setAttribute("role", "region");
    }
    // maxZoom on the map itself: without a tile layer nothing else sets it, and clustering needs it.
    var map = L.map(element, {
      maxZoom: 19,
      keyboard: true,
      scrollWheelZoom: false,
      zoomControl: false,
      attributionControl: true
    });
    L.control.zoom({ zoomInTitle: text.zoomIn, zoomOutTitle: text.zoomOut }).addTo(map);
    // Leaflet's own credit, without its English tooltip.
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    // Leaflet closes a popup on Escape only while the map itself has focus; inside the popup too.
    element.addEventListener("keydown", function (event) {
      var popup = document.activeElement && document.activeElement.closest(".leaflet-popup");
      if ((event.key === "Escape" || event.key === "Esc") && popup && element.contains(popup)) {
        event.preventDefault();
        map.closePopup();
      }
    });

    var tiles = element.getAttribute("data-tiles") || "";
    if (tiles) {
      L.tileLayer(tiles, {
        attribution: safeAttribution(element.getAttribute("data-attribution") || ""),
        maxZoom: 19
      }).addTo(map);
    } else {
      element.classList.add("map--no-tiles");
    }

    var count;
    if (point) {
      marker(L, point, text.point).addTo(map);
      map.setView(point, 16);
      count = 1;
    } else {
      var markers = items.map(function (item) {
        return withPopup(marker(L, item.position, item.name), item.name, item.href, text);
      });
      var group;
      if (typeof L.MarkerClusterGroup === "function") {
        group = new L.MarkerClusterGroup({
          clusterLabel: function (cluster) {
            return text.cluster.replace("{n}", String(cluster.getChildCount()));
          },
          showCoverageOnHover: false
        });
        group.addLayers(markers);
      } else {
        // The cluster plugin did not load (an old browser): plain markers still show every result.
        group = L.featureGroup(markers);
      }
      // The view is set before the group is added, so the clusters are made for the zoom the map opens at.
      map.fitBounds(L.latLngBounds(items.map(function (item) { return item.position; })), {
        padding: [24, 24],
        maxZoom: 16,
        animate: false
      });
      group.addTo(map);
      count = markers.length;
    }
    element.setAttribute("data-markers", String(count));
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("div.map"), function (element) {
      try {
        draw(element);
      } catch (error) {
        // The list still has every result; a broken map must not take the page with it.
        element.setAttribute("hidden", "");
        element.setAttribute("data-map-error", String(error && error.message ? error.message : error));
        if (window.console) {
          window.console.warn("map: " + error);
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
