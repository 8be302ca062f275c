/*
 * Kizuna watch page: chapter and transcript links play the video from their moment.
 *
 * Without this script every such link is an ordinary link to "?t=<seconds>#player",
 * which the server renders as a player starting there. With it:
 *   - an uploaded video (<video>) jumps to the second and plays;
 *   - a YouTube or Vimeo player is reloaded from the second. The server gives the
 *     player's address with "{seconds}" where the start goes (data-embed-template),
 *     so the providers' address rules live only on the server.
 * The line being played is marked (aria-current="time") and the address keeps ?t=, so a
 * reload or a shared link starts at the same place. No inline script (strict CSP).
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

  function markCurrent(links, seconds) {
    var current = null;
    Array.prototype.forEach.call(links, function (link) {
      var start = secondsOf(link);
      if (start !== null && start <= seconds && link.classList.contains("cue")) {
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

  function keepInView(link) {
    var list = link && link.closest(".transcript");
    if (!list) {
      return;
    }
    var top = link.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top > list.scrollTop + list.clientHeight - link.offsetHeight) {
      list.scrollTop = Math.max(top - list.clientHeight / 3, 0);
    }
  }

  function start() {
    var player = document.querySelector("[data-player]");
    if (!player) {
      return;
    }
    var links = document.querySelectorAll("a[data-seek]");

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
        markCurrent(links, seconds);
      }
    });

    var video = player.querySelector("video");
    if (video) {
      var last = null;
      video.addEventListener("timeupdate", function () {
        var current = markCurrent(links, video.currentTime);
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
