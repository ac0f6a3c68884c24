// Starts Swagger UI on the REST API's description. A file of its own, not inline, so the page's
// Content-Security-Policy can forbid inline script. Nothing is fetched from elsewhere: the
// description and every asset come from this node, and no validator badge is asked for.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
