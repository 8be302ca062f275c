/*
 * The seminar admin form: as the organiser types the start and end in the seminar's own
 * zone, show the same moment in that zone, London and Tokyo (with the weekday), warn when
 * the UK clocks change before the seminar or between it and the series' next seminars,
 * and hint when it falls outside office hours. The server's figures (webinars/admin/
 * seminars.py, times_overview) are the truth; this only previews them. Its words come
 * from the container's data-texts, translated on the server.
 */
(function () {
  "use strict";

  function start() {
    const box = document.querySelector("[data-seminar-time-preview]");
    if (!box) {
      return;
    }
    const form = box.closest("form");
    const texts = JSON.parse(box.dataset.texts);
    const seriesStarts = JSON.parse(box.dataset.seriesStarts || "{}");
    const list = box.querySelector("ul");
    const warnings = box.querySelector(".seminar-time-warnings");
    // British English for "en" (the site's own English), so London shows as GMT/BST.
    const lang = document.documentElement.lang || "en";
    const locale = lang === "en" ? "en-GB" : lang;
    const field = function (name) {
      return form.querySelector("[name='" + name + "']");
    };

    // "2026-10-23", "23/10/2026" or "2026/10/23", and "19:00" or "19:00:00".
    function parseDate(text) {
      let match = /^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s*$/.exec(text);
      if (match) {
        return [+match[1], +match[2], +match[3]];
      }
      match = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text);
      return match ? [+match[3], +match[2], +match[1]] : null;
    }

    function parseTime(text) {
      const match = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/.exec(text);
      return match && +match[1] < 24 && +match[2] < 60 ? [+match[1], +match[2]] : null;
    }

    function partsIn(ms, zone) {
      const format = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
      const parts = {};
      format.formatToParts(new Date(ms)).forEach(function (part) {
        parts[part.type] = +part.value;
      });
      return parts;
    }

    function offsetMs(ms, zone) {
      // The parts have whole seconds: compare with whole seconds too, or the
      // milliseconds of Date.now() read as an offset of their own.
      const whole = Math.floor(ms / 1000) * 1000;
      const p = partsIn(whole, zone);
      return Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second) - whole;
    }

    // The instant that a wall clock in `zone` reads as the given date and time.
    function wallClockToInstant(date, time, zone) {
      const wall = Date.UTC(date[0], date[1] - 1, date[2], time[0], time[1]);
      let instant = wall - offsetMs(wall, zone);
      instant = wall - offsetMs(instant, zone);
      return instant;
    }

    function shown(ms, zone) {
      return new Intl.DateTimeFormat(locale, {
        timeZone: zone,
        weekday: "short",
        day: "numeric",
        month: "short",
        year: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
        timeZoneName: "short",
      }).format(new Date(ms));
    }

    function dayShown(ms) {
      return new Intl.DateTimeFormat(locale, {
        timeZone: texts.uk,
        day: "numeric",
        month: "long",
        year: "numeric",
      }).format(new Date(ms));
    }

    // The first day between the two moments on which London's offset changes, or null.
    function ukClockChangeBetween(from, to) {
      const earliest = Math.min(from, to);
      const latest = Math.max(from, to);
      const offset = offsetMs(earliest, texts.uk);
      for (let day = earliest; day <= latest + 86400000; day += 86400000) {
        const moment = Math.min(day, latest);
        if (offsetMs(moment, texts.uk) !== offset) {
          return moment;
        }
        if (moment === latest) {
          break;
        }
      }
      return null;
    }

    function outsideHours(ms, zone, first, last) {
      const hour = partsIn(ms, zone).hour + partsIn(ms, zone).minute / 60;
      return hour < first || hour > last;
    }

    function instantOf(prefix, zone) {
      const dateInput = field(prefix + "_0");
      const timeInput = field(prefix + "_1");
      if (!dateInput || !timeInput) {
        return null;
      }
      const date = parseDate(dateInput.value);
      const time = parseTime(timeInput.value);
      return date && time ? wallToInstantSafe(date, time, zone) : null;
    }

    function wallToInstantSafe(date, time, zone) {
      try {
        return wallClockToInstant(date, time, zone);
      } catch (error) {
        return null; // an unknown zone: the server says so on saving
      }
    }

    function render() {
      const zone = field("timezone") ? field("timezone").value : texts.uk;
      const begins = instantOf("starts_at", zone);
      const end = instantOf("ends_at", zone);
      if (begins === null) {
        return;
      }
      const zones = [zone, texts.uk, texts.japan].filter(function (name, index, all) {
        return all.indexOf(name) === index;
      });
      list.replaceChildren();
      zones.forEach(function (name) {
        const item = document.createElement("li");
        let line = name + ": " + shown(begins, name);
        if (end !== null) {
          line += " – " + shown(end, name);
        }
        item.textContent = line;
        list.appendChild(item);
      });
      const notes = [];
      if (end !== null && end <= begins) {
        notes.push(texts.ends_before_start);
      }
      const change = ukClockChangeBetween(Date.now(), begins);
      if (begins > Date.now() && change !== null) {
        notes.push(texts.clock_change_before.replace("{date}", dayShown(change)));
      }
      const series = field("series") ? field("series").value : "";
      const others = (seriesStarts[series] || []).map(function (iso) {
        return Date.parse(iso);
      });
      for (const other of others) {
        const between = ukClockChangeBetween(begins, other);
        if (between !== null) {
          notes.push(
            texts.clock_change_series.replace("{date}", dayShown(between)).replace("{zone}", zone)
          );
          break;
        }
      }
      if (outsideHours(begins, texts.uk, 8, 21) || (end && outsideHours(end, texts.uk, 8, 21))) {
        notes.push(texts.outside_uk_hours);
      }
      if (outsideHours(begins, texts.japan, 8, 22) || (end && outsideHours(end, texts.japan, 8, 22))) {
        notes.push(texts.outside_japan_hours);
      }
      warnings.textContent = notes.join(" ");
    }

    form.addEventListener("input", render);
    form.addEventListener("change", render);
    render();
  }

  // The admin loads form media in the head, before the form exists.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
