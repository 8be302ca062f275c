/*
 * The human check (accounts/human_check.py): solves the server's signed ALTCHA challenge
 * (PoW v2, PBKDF2/SHA-256) with the browser's own Web Crypto and puts the solution in the
 * form. Loaded only on a form that asks for it. The texts come from the page's data-*
 * attributes, so they are translated with the template.
 *
 * The send button waits while the check runs; without JavaScript the <noscript> note
 * says why the form cannot be sent, and the server refuses it with a clear error.
 */
(function () {
  "use strict";

  function hexToBytes(hex) {
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i += 1) {
      bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return bytes;
  }

  function bytesToHex(buffer) {
    return Array.from(new Uint8Array(buffer), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  // The key for one counter: PBKDF2(password = nonce + counter as big-endian uint32).
  async function deriveKey(parameters, nonce, salt, counter) {
    const password = new Uint8Array(nonce.length + 4);
    password.set(nonce);
    new DataView(password.buffer).setUint32(nonce.length, counter, false);
    const material = await crypto.subtle.importKey("raw", password, "PBKDF2", false, [
      "deriveBits",
    ]);
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: parameters.cost },
      material,
      parameters.keyLength * 8
    );
    return bytesToHex(bits);
  }

  async function solve(challenge) {
    const parameters = challenge.parameters;
    const nonce = hexToBytes(parameters.nonce);
    const salt = hexToBytes(parameters.salt);
    const prefix = parameters.keyPrefix.toLowerCase();
    const started = performance.now();
    for (let counter = 0; counter <= 0xffffffff; counter += 1) {
      const derivedKey = await deriveKey(parameters, nonce, salt, counter);
      if (derivedKey.startsWith(prefix)) {
        return {
          counter: counter,
          derivedKey: derivedKey,
          time: Math.round(performance.now() - started),
        };
      }
    }
    throw new Error("No solution");
  }

  function start(box) {
    const form = box.closest("form");
    const input = box.querySelector("input[name=human_check]");
    const status = box.querySelector("[role=status]");
    const buttons = form ? form.querySelectorAll("button[type=submit], input[type=submit]") : [];
    const setButtons = function (disabled) {
      buttons.forEach(function (button) {
        button.disabled = disabled;
      });
    };
    box.hidden = false;
    if (!window.crypto || !window.crypto.subtle) {
      status.textContent = box.dataset.unsupported;
      return;
    }
    let challenge;
    try {
      challenge = JSON.parse(box.dataset.humanCheck);
    } catch (error) {
      status.textContent = box.dataset.failed;
      return;
    }
    setButtons(true);
    status.textContent = box.dataset.working;
    solve(challenge).then(
      function (solution) {
        input.value = btoa(JSON.stringify({ challenge: challenge, solution: solution }));
        box.classList.add("human-check-done");
        status.textContent = box.dataset.done;
        setButtons(false);
      },
      function () {
        status.textContent = box.dataset.failed;
        setButtons(false);
      }
    );
  }

  document.querySelectorAll("[data-human-check]").forEach(start);
})();
