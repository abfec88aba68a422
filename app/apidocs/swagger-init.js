// Swagger UI over this service's own spec. A file, not an inline script: the /docs page's
// Content-Security-Policy runs scripts from this origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The default sends the spec to a validator on another host.
    validatorUrl: null,
    showCommonExtensions: true,
  });
});
