// The API description page: Swagger UI over the engine's own /openapi.json. A file, not an inline script:
// the API's Content-Security-Policy allows scripts from 'self' only.
window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // No badge from validator.swagger.io: the page calls nothing but this engine.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // Keys typed into "Authorize" stay in this page's memory only.
    persistAuthorization: false,
  });
});
