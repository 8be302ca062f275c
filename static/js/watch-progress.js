/*
 * Kizuna watch page: report which parts of the recording a registrant played, for their
 * certificate of attendance (CERTIFICATE_MIN_WATCH_PERCENT of the recording).
 *
 * The recording is cut into segments of data-segment-seconds. A segment counts when the
 * player's time moves through it while playing, at normal pace (a jump ahead does not
 * count what it skipped). Segments are sent in batches to data-progress-url every 30
 * seconds and when the page is hidden (navigator.sendBeacon), with the CSRF token.
 *
 * The uploaded video (<video>) is read directly. YouTube and Vimeo players are read
 * through their postMessage interfaces only (no script of theirs is loaded: strict CSP).
 * No inline script.
 */
(function () {
  "use strict";

  var SEND_EVERY_MS = 30000;
  // A step of the clock longer than this between two readings is a jump, not playing.
  var LONGEST_STEP_SECONDS = 3;

  function start() {
    var player = document.querySelector("[data-player][data-progress-url]");
    if (!player) {
      return;
    }
    var url = player.getAttribute("data-progress-url");
    var token = player.getAttribute("data-csrf-token");
    var size = parseInt(player.getAttribute("data-segment-seconds"), 10) || 10;
    var pending = {};
    var lastTime = null;
    // YouTube's last reported state (1: playing); its time and state come separately.
    var youtubeState = null;

    function observe(seconds, playing) {
      if (typeof seconds !== "number" || !isFinite(seconds) || seconds < 0) {
        return;
      }
      if (playing && lastTime !== null) {
        var step = seconds - lastTime;
        if (step >= 0 && step <= LONGEST_STEP_SECONDS) {
          var first = Math.floor(lastTime / size);
          var last = Math.floor(seconds / size);
          for (var segment = first; segment <= last; segment += 1) {
            pending[segment] = true;
          }
        }
      }
      lastTime = seconds;
    }

    function payload() {
      var segments = Object.keys(pending);
      if (!segments.length) {
        return null;
      }
      pending = {};
      var body = new FormData();
      body.append("segments", segments.join(","));
      body.append("csrfmiddlewaretoken", token);
      return body;
    }

    function send() {
      var body = payload();
      if (body && window.fetch) {
        window.fetch(url, { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
      }
    }

    function sendOnLeave() {
      var body = payload();
      if (body && navigator.sendBeacon) {
        navigator.sendBeacon(url, body);
      }
    }

    window.setInterval(send, SEND_EVERY_MS);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        sendOnLeave();
      }
    });
    window.addEventListener("pagehide", sendOnLeave);

    var video = player.querySelector("video");
    if (video) {
      video.addEventListener("timeupdate", function () {
        observe(video.currentTime, !video.paused && !video.seeking);
      });
      video.addEventListener("seeking", function () {
        lastTime = null;
      });
      return;
    }

    // YouTube and Vimeo: ask the player for its time, then listen (the iframe may be
    // replaced by recording.js when a chapter is chosen: always ask the current one).
    function frame() {
      return player.querySelector("iframe");
    }
    function origin(element) {
      try {
        return new URL(element.src).origin;
      } catch (error) {
        return null;
      }
    }
    function subscribe() {
      var element = frame();
      var target = element && origin(element);
      if (!target || !element.contentWindow) {
        return;
      }
      if (target.indexOf("youtube") !== -1) {
        element.contentWindow.postMessage(JSON.stringify({ event: "listening", id: "kizuna" }), target);
      } else if (target.indexOf("vimeo") !== -1) {
        element.contentWindow.postMessage(JSON.stringify({ method: "addEventListener", value: "timeupdate" }), target);
      }
    }
    window.addEventListener("message", function (event) {
      var element = frame();
      if (!element || event.source !== element.contentWindow || event.origin !== origin(element)) {
        return;
      }
      var data = event.data;
      if (typeof data === "string") {
        try {
          data = JSON.parse(data);
        } catch (error) {
          return;
        }
      }
      if (!data || typeof data !== "object") {
        return;
      }
      if (data.event === "infoDelivery" && data.info) {
        if (typeof data.info.playerState === "number") {
          youtubeState = data.info.playerState;
        }
        if (typeof data.info.currentTime === "number") {
          observe(data.info.currentTime, youtubeState === 1);
        }
      } else if (data.event === "timeupdate" && data.data) {
        // Vimeo sends timeupdate only while playing.
        observe(data.data.seconds, true);
      } else if (data.event === "ready") {
        subscribe();
      }
    });
    player.addEventListener("load", subscribe, true);
    subscribe();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
