/**
 * Makes zod validate without compiling code. zod 4 builds fast object parsers with `new
 * Function` and, to find out whether it may, tries `Function('')` the first time a schema is
 * defined; under the page's Content-Security-Policy (no 'unsafe-eval') that try is itself a
 * reported violation. Import this module before any module that defines a zod schema.
 */
import { z } from 'zod';

z.config({ jitless: true });
