import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/api-key.guard';
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS } from './console-assets';

/**
 * The operator console's static files at /console. Public like /docs: the page holds no data; everything it shows
 * comes from the JSON API with the operator key the person types in.
 */
@ApiExcludeController()
@Public()
@Controller('console')
export class ConsoleController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return CONSOLE_HTML;
  }

  @Get('console.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return CONSOLE_JS;
  }

  @Get('console.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  style(): string {
    return CONSOLE_CSS;
  }
}
