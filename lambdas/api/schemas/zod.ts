import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';

/**
 * Gives zod's schemas `.openapi()`. Every schema module imports this file for that effect before it builds
 * a schema, and takes `z` from 'zod' itself as a namespace import: only a namespace import whose members are
 * read one by one lets the bundler keep just the zod a function uses. Handing the namespace around as a
 * value (re-exporting it, or passing it whole to the extension) keeps all of zod, every locale and the JSON
 * Schema converters included, in every function (~370 KB of each bundle). The extension only patches
 * `ZodType.prototype`, so it gets only that.
 */
extendZodWithOpenApi({ ZodType: z.ZodType } as unknown as Parameters<typeof extendZodWithOpenApi>[0]);
