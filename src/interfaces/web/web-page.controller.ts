import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Public } from '../../config/api-keys';

/**
 * The page's files. `npm run build` copies this folder next to the compiled controller, so the same
 * relative path works under ts-node (src/interfaces/web/public) and from dist (dist/src/interfaces/web/public).
 */
export const PUBLIC_DIR = join(__dirname, 'public');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Read once at start: a handful of small files, served from memory, and a missing file fails the start. */
function loadPublicFiles(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  if (!files.has('index.html')) throw new Error(`the service-rep page is missing: no index.html in ${dir}`);
  return files;
}

/**
 * The page shows personal data: it may only run its own scripts and talk to this service, may not be framed,
 * and sends no referrer. The key lives in session storage, so no script from elsewhere may ever run here.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Revalidated on every load, so a new version of the service never runs with an old script.
  'cache-control': 'no-cache',
};

/** The service-rep web page: one HTML page with its scripts and styles, no build step. Public: it holds no data. */
@ApiExcludeController()
@Public()
@Controller()
export class WebPageController {
  private readonly files = loadPublicFiles(PUBLIC_DIR);

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'index.html');
  }

  @Get(':file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): void {
    if (file === 'index.html' || !this.files.has(file)) throw new NotFoundException(`No such page: /${file}`);
    this.send(reply, file);
  }

  private send(reply: FastifyReply, name: string): void {
    const file = this.files.get(name)!;
    void reply.headers({ ...SECURITY_HEADERS, 'content-type': file.type }).send(file.body);
  }
}
