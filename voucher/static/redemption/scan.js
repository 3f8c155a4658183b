/* Scan page: read the voucher QR with the camera (getUserMedia + canvas + the vendored jsQR)
 * and submit what it holds to the check page. Handheld scanners and typed codes use the plain
 * form (they type the text and Enter), which works without this script. */
(function () {
  "use strict";
  var script = document.currentScript;
  function msg(key) {
    return script ? script.getAttribute("data-msg-" + key) || "" : "";
  }
  var form = document.getElementById("scan-form");
  var input = document.getElementById("code");
  var statusLine = document.getElementById("camera-status");
  var button = document.getElementById("camera-start");
  var video = document.getElementById("camera-video");
  var canvas = document.getElementById("camera-canvas");
  if (!form || !button || !video || !canvas) {
    return;
  }
  var supported =
    navigator.mediaDevices &&
    typeof navigator.mediaDevices.getUserMedia === "function" &&
    typeof window.jsQR === "function";
  if (!supported) {
    statusLine.textContent = msg("unsupported");
    return;
  }
  button.hidden = false;
  var stream = null;
  var done = false;
  var MAX_SIDE = 800; // downscale big camera frames: cheap phones decode faster

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    stream = null;
  }

  function tick() {
    if (done || !stream) {
      return;
    }
    if (video.readyState >= 2 && video.videoWidth > 0) {
      var scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, {
        inversionAttempts: "attemptBoth",
      });
      if (found && found.data) {
        done = true;
        stop();
        statusLine.textContent = msg("found");
        input.value = found.data;
        form.setAttribute("data-scanned", "camera");
        form.submit();
        return;
      }
    }
    window.setTimeout(tick, 120);
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        statusLine.textContent = msg("scanning");
        return video.play();
      })
      .then(tick)
      .catch(function () {
        stop();
        button.disabled = false;
        statusLine.textContent = msg("denied");
      });
  });
})();
