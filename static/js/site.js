/*
 * Kizuna: small progressive enhancements. No framework, no inline scripts (strict CSP).
 *
 * Viewer's own time: the server renders seminar times in UK and Japan time (and the
 * seminar's zone). Each hidden "Your time" line carries
 *   <time datetime="2026-10-23T09:00:00Z" data-local-time data-end="…"
 *         data-zones="Europe/London Asia/Tokyo" data-format="long|short">
 * and is shown, filled in the browser's zone, only when that zone would show a
 * different wall-clock time from every zone already on the page.
 */
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    } catch (error) {
      return null;
    }
  }

  function wallClock(date, zone) {
    // The same instant as day and time in a zone, to compare zones at that instant.
    return new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(date);
  }

  function formatRange(start, end, zone, style, locale) {
    var options = {
      timeZone: zone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    };
    if (style === "short") {
      options.weekday = "short";
      options.day = "numeric";
      options.month = "short";
    } else {
      options.weekday = "long";
      options.day = "numeric";
      options.month = "long";
      options.year = "numeric";
    }
    var format = new Intl.DateTimeFormat(locale, options);
    if (end && typeof format.formatRange === "function") {
      return format.formatRange(start, end);
    }
    var text = format.format(start);
    if (end) {
      text += " – " + new Intl.DateTimeFormat(locale, {
        timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
      }).format(end);
    }
    return text;
  }

  function cityOf(zone) {
    var parts = zone.split("/");
    return parts[parts.length - 1].replace(/_/g, " ");
  }

  function showLocalTimes() {
    var zone = browserZone();
    if (!zone || typeof Intl.DateTimeFormat !== "function") {
      return;
    }
    // The site writes English dates the British way ("Friday 23 October 2026, 10:00").
    var lang = document.documentElement.lang || "en";
    var locale = lang === "en" ? "en-GB" : lang;
    var elements = document.querySelectorAll("[data-local-time]");
    Array.prototype.forEach.call(elements, function (element) {
      var start = new Date(element.getAttribute("datetime"));
      var endValue = element.getAttribute("data-end");
      var end = endValue ? new Date(endValue) : null;
      if (isNaN(start.getTime()) || (end && isNaN(end.getTime()))) {
        return;
      }
      var shown = (element.getAttribute("data-zones") || "").split(/\s+/).filter(Boolean);
      var mine = wallClock(start, zone);
      var alreadyShown = shown.some(function (other) {
        try {
          return other === zone || wallClock(start, other) === mine;
        } catch (error) {
          return false;
        }
      });
      if (alreadyShown) {
        return;
      }
      var text;
      try {
        text = formatRange(start, end, zone, element.getAttribute("data-format"), locale);
      } catch (error) {
        return;
      }
      element.textContent = text + " (" + cityOf(zone) + ")";
      var line = element.closest("[data-local-time-line]");
      if (line) {
        line.hidden = false;
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showLocalTimes);
  } else {
    showLocalTimes();
  }
})();
