/*
 * Kizuna: small progressive enhancements. No framework, no inline scripts (strict CSP).
 *
 * Viewer's own time: the server renders seminar times in UK and Japan time (and the
 * seminar's zone). Each hidden "Your time" line carries
 *   <time datetime="2026-10-23T09:00:00Z" data-local-time data-end="…"
 *         data-zones="Europe/London Asia/Tokyo" data-format="long|short">
 * and is shown, filled in the browser's zone, only when that zone would show a
 * different wall-clock time from every zone already on the page.
 *
 * Also: the registration form's hidden time_zone field, focus on a form's error summary,
 * "Copy" buttons for read-only addresses, and the join page's "opens in …" line.
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

  function fillTimeZoneFields() {
    // Registration forms carry a hidden time_zone field; the server ignores unknown values.
    var zone = browserZone();
    if (!zone) {
      return;
    }
    var fields = document.querySelectorAll("input[data-browser-time-zone]");
    Array.prototype.forEach.call(fields, function (field) {
      if (!field.value) {
        field.value = zone;
      }
    });
  }

  function focusErrorSummary() {
    // After a failed submit, start keyboard and screen-reader users at the list of problems.
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) {
        return;
      }
      event.preventDefault();
      // Show the question with its field, not just the field.
      var group = input.closest("fieldset, .field") || input;
      group.scrollIntoView({ block: "start" });
      input.focus({ preventScroll: true });
    });
  }

  function enableCopyButtons() {
    var buttons = document.querySelectorAll("[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (button) {
      var source = document.getElementById(button.getAttribute("data-copy-target"));
      if (!source || !navigator.clipboard) {
        return;
      }
      var label = button.textContent;
      var status = document.querySelector("[data-copy-status]");
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.value).then(function () {
          var done = button.getAttribute("data-copied-text") || label;
          button.textContent = done;
          if (status) {
            status.textContent = done;
          }
          window.setTimeout(function () {
            button.textContent = label;
            if (status) {
              status.textContent = "";
            }
          }, 2500);
        }, function () {
          source.select();
        });
      });
    });
  }

  function startCountdowns() {
    // "That is in 3 days": relative to now, in the page's language; updated every 30 s.
    if (typeof Intl.RelativeTimeFormat !== "function") {
      return;
    }
    var lang = document.documentElement.lang || "en";
    var format = new Intl.RelativeTimeFormat(lang === "en" ? "en-GB" : lang, { numeric: "auto" });
    var elements = document.querySelectorAll("[data-countdown]");
    Array.prototype.forEach.call(elements, function (element) {
      var target = new Date(element.getAttribute("datetime"));
      if (isNaN(target.getTime())) {
        return;
      }
      function update() {
        var minutes = Math.round((target.getTime() - Date.now()) / 60000);
        var text;
        if (Math.abs(minutes) >= 2 * 24 * 60) {
          text = format.format(Math.round(minutes / (24 * 60)), "day");
        } else if (Math.abs(minutes) >= 120) {
          text = format.format(Math.round(minutes / 60), "hour");
        } else {
          text = format.format(minutes, "minute");
        }
        element.textContent = text;
      }
      update();
      var line = element.closest("[data-countdown-line]");
      if (line) {
        line.hidden = false;
      }
      window.setInterval(update, 30000);
    });
  }

  function start() {
    showLocalTimes();
    fillTimeZoneFields();
    focusErrorSummary();
    enableCopyButtons();
    startCountdowns();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
