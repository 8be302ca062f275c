/*
 * Kizuna watch page: chapter and transcript links play the video from their moment.
 *
 * Without this script every such link is an ordinary link to "?t=<seconds>#player",
 * which the server renders as a player starting there. With it:
 *   - an uploaded video (<video>) jumps to the second and plays;
 *   - a YouTube or Vimeo player is reloaded from the second. The server gives the
 *     player's address with "{seconds}" where the start goes (data-embed-template),
 *     so the providers' address rules live only on the server.
 * The line and the chapter being played are marked (aria-current="time"), from the ?t=
 * the page was opened with too, and the transcript panel (not the page) scrolls to the
 * line. The address keeps ?t=, so a reload or a shared link starts at the same place.
 * No inline script (strict CSP).
 */
(function () {
  "use strict";

  var PLACEHOLDER = "{seconds}";

  function secondsOf(link) {
    var seconds = parseInt(link.getAttribute("data-seek"), 10);
    return isNaN(seconds) || seconds < 0 ? null : seconds;
  }

  function rememberInAddress(seconds) {
    if (!window.history || typeof window.history.replaceState !== "function") {
      return;
    }
    try {
      var url = new URL(window.location.href);
      url.searchParams.set("t", String(seconds));
      url.hash = "";
      window.history.replaceState(null, "", url.toString());
    } catch (error) {
      // An address the browser will not rewrite is no reason to stop playing.
    }
  }

  // The last of ``links`` (in time order) starting at or before ``seconds``, marked
  // aria-current="time"; the others unmarked.
  function markIn(links, seconds) {
    var current = null;
    Array.prototype.forEach.call(links, function (link) {
      var start = secondsOf(link);
      if (start !== null && start <= seconds) {
        current = link;
      }
    });
    Array.prototype.forEach.call(links, function (link) {
      if (link === current) {
        link.setAttribute("aria-current", "time");
      } else {
        link.removeAttribute("aria-current");
      }
    });
    return current;
  }

  // Marks the transcript line and the chapter being played; returns the line.
  function markCurrent(seconds) {
    markIn(document.querySelectorAll(".chapters a[data-seek]"), seconds);
    return markIn(document.querySelectorAll(".transcript a.cue[data-seek]"), seconds);
  }

  // Scrolls the transcript panel (never the page) so that ``link`` is visible in it.
  function keepInView(link) {
    var list = link && link.closest(".transcript");
    if (!list) {
      return;
    }
    var top = link.getBoundingClientRect().top - list.getBoundingClientRect().top + list.scrollTop;
    if (top < list.scrollTop || top > list.scrollTop + list.clientHeight - link.offsetHeight) {
      list.scrollTop = Math.max(top - list.clientHeight / 3, 0);
    }
  }

  // The ?t= the page was opened with (a shared or reloaded link), or null.
  function startFromAddress() {
    var value = new URLSearchParams(window.location.search).get("t");
    return value && /^[0-9]{1,6}$/.test(value) ? parseInt(value, 10) : null;
  }

  function start() {
    var player = document.querySelector("[data-player]");
    if (!player) {
      return;
    }

    function seek(seconds) {
      var video = player.querySelector("video");
      var frame = player.querySelector("iframe[data-embed-template]");
      if (video) {
        video.currentTime = seconds;
        var playing = video.play();
        if (playing && typeof playing.catch === "function") {
          // Autoplay policies may refuse; the video is at the right place either way.
          playing.catch(function () {});
        }
      } else if (frame) {
        var template = frame.getAttribute("data-embed-template");
        if (template.indexOf(PLACEHOLDER) === -1) {
          return false;
        }
        // A fresh element, so the reload adds no entry to the page's history.
        var fresh = frame.cloneNode(false);
        fresh.src = template.split(PLACEHOLDER).join(String(seconds));
        frame.parentNode.replaceChild(fresh, frame);
      } else {
        return false;
      }
      if (player.getBoundingClientRect().top < 0) {
        player.scrollIntoView({ block: "start" });
      }
      rememberInAddress(seconds);
      return true;
    }

    document.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-seek]");
      // Let modified clicks open the link in a new tab or window as usual.
      if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return;
      }
      var seconds = secondsOf(link);
      if (seconds === null) {
        return;
      }
      if (seek(seconds)) {
        event.preventDefault();
        keepInView(markCurrent(seconds));
      }
    });

    var last = null;
    var opened = startFromAddress();
    if (opened !== null) {
      last = markCurrent(opened);
      keepInView(last);
    }

    var video = player.querySelector("video");
    if (video) {
      video.addEventListener("timeupdate", function () {
        var current = markCurrent(video.currentTime);
        if (current !== last) {
          keepInView(current);
          last = current;
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
