// Starts Swagger UI on the spec URL given by the page (no inline script: CSP forbids it).
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.dataset.specUrl, dom_id: "#swagger-ui", validatorUrl: null });
})();
