/**
 * GET /openapi.json (the document openapi.ts generates, made once with the app) and GET /docs, a page that shows
 * it: Swagger UI from the swagger-ui-dist package, started by our own script file (src/api/console/docs/docs.js,
 * with the console's other browser code).
 * Neither needs a key: the document describes the routes and holds no customer data.
 *
 * The API's Content-Security-Policy (hardening.ts: helmet's defaults) holds for the page as it is, so nothing is
 * loosened for it: its scripts are files from 'self' (no inline script), Swagger UI's stylesheet is a file too
 * and the inline styles it sets are within helmet's style-src 'unsafe-inline', its icons are data: images
 * (img-src allows data:), and it fetches only /openapi.json and, from "Try it out", this same origin. The
 * validator badge, which would load an image from validator.swagger.io, is switched off in docs.js.
 */
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import { PROJECT_ROOT } from '../config';
import { openApiDocument, type OptionalRoutes } from './openapi';

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const PAGE_DIR = path.join(PROJECT_ROOT, 'src', 'api', 'console', 'docs');
/** Only what the page loads: swagger-ui-dist also ships a demo page and initializer (the Petstore's) that are not ours to serve. */
const SWAGGER_UI_FILES = new Set(['/swagger-ui.css', '/swagger-ui.css.map', '/swagger-ui-bundle.js', '/favicon-32x32.png']);
const PAGE_FILES = new Set(['/docs.js']);

export interface ApiDescription {
  /** GET /openapi.json */
  document: RequestHandler;
  /** GET /docs */
  page: RequestHandler;
  /** Mounted at /docs: the page's script and stylesheet files. */
  files: RequestHandler;
}

/** The document lists only the routes the app has (OptionalRoutes). */
export function apiDescription(routes: OptionalRoutes): ApiDescription {
  const document = openApiDocument(routes);
  const swaggerUi = express.static(SWAGGER_UI_DIR, { index: false, redirect: false });
  const pageFiles = express.static(PAGE_DIR, { index: false, redirect: false });
  return {
    document: (_req, res) => {
      res.json(document);
    },
    page: (_req, res) => {
      res.sendFile(path.join(PAGE_DIR, 'index.html'));
    },
    files: (req, res, next) => {
      if (SWAGGER_UI_FILES.has(req.path)) swaggerUi(req, res, next);
      else if (PAGE_FILES.has(req.path)) pageFiles(req, res, next);
      else next();
    },
  };
}
